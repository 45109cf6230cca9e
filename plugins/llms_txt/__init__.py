from .llms_txt import register

__all__ = ["register"]
