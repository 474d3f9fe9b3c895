"""The version of boostreg (one place: pyproject reads the same)."""

__version__ = "0.1.0"
