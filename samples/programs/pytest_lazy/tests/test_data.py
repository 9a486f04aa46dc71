import importlib


def test_json():
    mod = importlib.import_module('json')
    assert mod.__name__ == 'json'


def test_csv():
    mod = importlib.import_module('csv')
    assert mod.__name__ == 'csv'


def test_sqlite3():
    mod = importlib.import_module('sqlite3')
    assert mod.__name__ == 'sqlite3'


def test_decimal():
    mod = importlib.import_module('decimal')
    assert mod.__name__ == 'decimal'
