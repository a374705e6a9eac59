"""trust-signals: buyer-facing trust signals from seller and offer performance snapshots."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("trust-signals")
except PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0+unknown"
