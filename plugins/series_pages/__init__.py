from .series_pages import register as register
