import sys

import weatherkit


def test_mean_temperature():
    print("stdout: computing a mean")
    print("stderr: a message from the test", file=sys.stderr)
    assert weatherkit.mean_temperature([3.5, 19.0, 31.2, 4.1]) == 14.45


def test_exact_mean():
    assert weatherkit.exact_mean(["1/3", "2/3"]) == 0.5
