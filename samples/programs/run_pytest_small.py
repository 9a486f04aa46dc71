"""Runs pytest on samples/programs/pytest_small, as `python -m pytest` would (for the
recorded pstats pair samples/pstats/truth/py311_pytest)."""
import os
import sys

import pytest

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pytest_small")
sys.exit(pytest.main(["-q", "-p", "no:cacheprovider", here] + sys.argv[1:]))
