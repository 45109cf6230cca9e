from .social_images import register

__all__ = ["register"]
