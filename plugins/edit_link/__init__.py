from .edit_link import register

__all__ = ["register"]
