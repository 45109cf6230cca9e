from .output_paths import register

__all__ = ["register"]
