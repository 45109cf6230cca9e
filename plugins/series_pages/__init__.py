from .series_pages import register

__all__ = ["register"]
