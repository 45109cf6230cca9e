from .feeds import register as register
