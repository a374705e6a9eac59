"""Snapshot stores: one small interface, several backends."""
