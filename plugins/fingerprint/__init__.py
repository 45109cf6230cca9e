from .fingerprint import register

__all__ = ["register"]
