from .for_llms import register as register
