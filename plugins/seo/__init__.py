from .seo import register as register
