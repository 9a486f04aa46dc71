import sympy

x, y = sympy.symbols("x y")


def test_expand():
    assert sympy.expand((x + y) ** 3).coeff(x, 2) == 3 * y


def test_factor():
    assert sympy.factor(x**2 - y**2) == (x - y) * (x + y)


def test_diff():
    assert sympy.diff(sympy.sin(x) * x, x) == sympy.sin(x) + x * sympy.cos(x)


def test_solve():
    assert sympy.solve(x**2 - 4, x) == [-2, 2]
