"""Weather statistics: a package whose imports show up under the tests that use it."""

import fractions
import statistics


def mean_temperature(readings):
    return statistics.fmean(readings)


def exact_mean(readings):
    return sum(fractions.Fraction(r) for r in readings) / len(readings)
