from .post_cards import register

__all__ = ["register"]
