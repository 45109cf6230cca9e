from .url_memo import register

__all__ = ["register"]
