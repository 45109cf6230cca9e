from .for_llms import register

__all__ = ["register"]
