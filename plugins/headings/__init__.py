from .headings import register

__all__ = ["register"]
