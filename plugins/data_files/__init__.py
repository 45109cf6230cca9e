from .data_files import register as register
