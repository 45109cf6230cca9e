from .mathml import register as register
