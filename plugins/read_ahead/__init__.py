from .read_ahead import register

__all__ = ["register"]
