"""Recursion and call cycles for the pstats reader's tests.

- fact: direct recursion (pstats shows nc/cc such as 31/1),
- is_even / is_odd: mutual recursion (a two-function cycle),
- walk_a -> walk_b -> walk_c -> walk_a: a three-function cycle entered from two places,
- deep: recursion 400 levels deep (deeper than importflame's default depth limit needs),
- shared: one leaf called from three callers with different weights (apportioning).
Run: python3 -m cProfile -o OUT recursion_cycles.py, python3 -m profile -o OUT recursion_cycles.py
"""
import sys


def fact(n):
    return 1 if n <= 1 else n * fact(n - 1)


def is_even(n):
    return True if n == 0 else is_odd(n - 1)


def is_odd(n):
    return False if n == 0 else is_even(n - 1)


def walk_a(n):
    if n > 0:
        walk_b(n - 1)


def walk_b(n):
    if n > 0:
        walk_c(n - 1)


def walk_c(n):
    if n > 0:
        walk_a(n - 1)


def deep(n):
    return 0 if n == 0 else 1 + deep(n - 1)


def leaf(k):
    total = 0
    for i in range(k):
        total += i * i
    return total


def heavy():
    return sum(leaf(2000) for _ in range(30))


def light():
    return leaf(2000)


def medium():
    return [leaf(2000) for _ in range(10)]


def main():
    sys.setrecursionlimit(2000)
    for _ in range(50):
        fact(30)
        is_even(40)
        walk_a(30)
    walk_b(31)
    deep(400)
    heavy()
    light()
    medium()


if __name__ == "__main__":
    main()
