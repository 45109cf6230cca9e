from .preview_badges import register

__all__ = ["register"]
