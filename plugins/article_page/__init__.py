from .article_page import register as register
