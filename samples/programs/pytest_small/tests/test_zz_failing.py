import colorsys


def test_fails_on_purpose():
    # `importflame run` must exit with pytest's status: 1 when a test fails.
    hue, _, _ = colorsys.rgb_to_hsv(1.0, 0.0, 0.0)
    assert hue == 0.5
