from .hashed_assets import register

__all__ = ["register"]
