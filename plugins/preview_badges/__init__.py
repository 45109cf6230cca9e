from .preview_badges import register as register
