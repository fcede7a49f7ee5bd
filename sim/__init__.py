"""prefsim: capacity-planning and wait-time simulator for appointment-based public services."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("prefsim")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"
