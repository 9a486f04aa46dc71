"""Runs pytest on the sample project, as `python -m pytest` would (for cct.py record)."""
import os
import sys

import pytest

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pytest_project")
sys.exit(pytest.main(["-q", "-p", "no:cacheprovider", here] + sys.argv[1:]))
