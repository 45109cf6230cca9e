from .hashed_assets import register as register
