from .output_paths import register as register
