"""Check families, one module per family; each registers its check types on import."""
