import textwrap


def money(d):
    return "%.2f" % d


def wrap(text):
    return textwrap.fill(text, 30)
