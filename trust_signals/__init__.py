"""trust-signals: buyer-facing trust signals from seller and offer performance snapshots."""

__version__ = "0.1.0"
