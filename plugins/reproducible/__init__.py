from .reproducible import register

__all__ = ["register"]
