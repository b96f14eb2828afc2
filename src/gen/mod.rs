//! Synthetic jurisdictions (being written).
