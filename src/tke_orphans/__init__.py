"""tke-orphans: find CVM instances that TKE left behind."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("tke-orphans")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0"
