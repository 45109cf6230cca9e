from .typography import register as register
