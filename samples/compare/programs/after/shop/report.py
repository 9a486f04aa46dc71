"""Reports: formats totals. AFTER: sympy is imported lazily, inside the one function using it."""
import json
import email.utils


def symbolic_total(prices):
    import sympy

    return sympy.nsimplify(sum(prices))


def render(rows):
    return json.dumps({"rows": rows, "date": email.utils.formatdate(0)})
