"""A CPU-bound job. AFTER: count_primes stops at the square root; a helper was added above it,
so every function below moved down in the file (same file, same names, new line numbers)."""

import collections

import math


def _limit(n):
    """Largest divisor worth trying."""
    return math.isqrt(n)


def _is_prime(n):
    if n < 2:
        return False
    for d in range(2, _limit(n) + 1):
        if n % d == 0:
            return False
    return True


def count_primes(limit):
    return sum(1 for n in range(limit) if _is_prime(n))


def checksum(limit):
    return sum(n * n % 7 for n in range(limit))


Point = collections.namedtuple("Point", "x y")


def main():
    points = [Point(i, i) for i in range(50)]
    print(count_primes(9000), checksum(200000))
    print(sorted(str(i) for i in range(20000))[:1], len(points))


if __name__ == "__main__":
    main()
