from .parallel_markdown import register as register
