from .charts import register

__all__ = ["register"]
