from .reproducible import register as register
