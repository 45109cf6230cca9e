from .redirects import register as register
