"""A tiny shop package: importing it pulls in its report module."""
from shop import report  # noqa: F401
