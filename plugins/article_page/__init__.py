from .article_page import register

__all__ = ["register"]
