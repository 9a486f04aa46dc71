import importlib


def test_email_parser():
    mod = importlib.import_module('email.parser')
    assert mod.__name__ == 'email.parser'


def test_html_parser():
    mod = importlib.import_module('html.parser')
    assert mod.__name__ == 'html.parser'


def test_textwrap():
    mod = importlib.import_module('textwrap')
    assert mod.__name__ == 'textwrap'


def test_difflib():
    mod = importlib.import_module('difflib')
    assert mod.__name__ == 'difflib'
