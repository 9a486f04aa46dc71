import sympy  # imported at collection, outside the profiled test calls
