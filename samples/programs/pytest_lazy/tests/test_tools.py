import importlib


def test_argparse():
    mod = importlib.import_module('argparse')
    assert mod.__name__ == 'argparse'


def test_logging_handlers():
    mod = importlib.import_module('logging.handlers')
    assert mod.__name__ == 'logging.handlers'


def test_unittest_mock():
    mod = importlib.import_module('unittest.mock')
    assert mod.__name__ == 'unittest.mock'


def test_dataclasses():
    mod = importlib.import_module('dataclasses')
    assert mod.__name__ == 'dataclasses'
