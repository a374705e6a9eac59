"""Snapshot ingest: the on-disk format, its validation, the synthetic generator and the loader."""
