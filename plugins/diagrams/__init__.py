from .diagrams import register

__all__ = ["register"]
