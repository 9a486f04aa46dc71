"""A tiny package for pstats ground truth: its modules import each other and the stdlib."""
from shop import models  # noqa: F401
