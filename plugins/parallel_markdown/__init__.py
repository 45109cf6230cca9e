from .parallel_markdown import register

__all__ = ["register"]
