from .search_index import register as register
