from .data_files import register

__all__ = ["register"]
