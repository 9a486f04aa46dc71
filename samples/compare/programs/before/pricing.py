"""A CPU-bound job. BEFORE: count_primes tests every divisor up to n."""

import collections


def _is_prime(n):
    if n < 2:
        return False
    for d in range(2, n):
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
