from .scroll_regions import register

__all__ = ["register"]
