from .headings import register as register
