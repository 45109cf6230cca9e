from .charts import register as register
