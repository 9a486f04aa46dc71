"""Reports: formats totals. BEFORE: imports sympy at the top, though only one function uses it."""
import json
import email.utils
import sympy


def symbolic_total(prices):
    return sympy.nsimplify(sum(prices))


def render(rows):
    return json.dumps({"rows": rows, "date": email.utils.formatdate(0)})
