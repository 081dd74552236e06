"""Data adapters: one module per source, each returning tidy (Geo)DataFrames."""
