import importlib


def test_http_client():
    mod = importlib.import_module('http.client')
    assert mod.__name__ == 'http.client'


def test_urllib_request():
    mod = importlib.import_module('urllib.request')
    assert mod.__name__ == 'urllib.request'


def test_xmlrpc_client():
    mod = importlib.import_module('xmlrpc.client')
    assert mod.__name__ == 'xmlrpc.client'
