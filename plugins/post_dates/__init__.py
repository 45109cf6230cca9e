from .post_dates import register

__all__ = ["register"]
