"""A small program for pstats ground truth (cct.py record): callbacks, one helper whose cost
depends on its caller, direct recursion, a lazy stdlib import inside a function, and json."""


def helper(n):
    return sum(i * i for i in range(n))


def cheap():
    return helper(200)


def costly():
    return helper(20000)


def apply(callback, times):
    return [callback() for _ in range(times)]


def fact(n):
    return 1 if n <= 1 else n * fact(n - 1)


def load_config():
    import json  # lazy import inside a function

    text = json.dumps({"k%d" % i: list(range(i % 7)) for i in range(400)})
    return json.loads(text)


def main():
    apply(cheap, 30)
    apply(costly, 3)
    for _ in range(50):
        fact(60)
    load_config()
    import decimal  # a heavier stdlib import from main

    return decimal.Decimal(1) / 7


main()
