import json
import xml.dom.minidom  # a slow-ish stdlib import that pulls in a package

from shop import util


def render(items):
    doc = xml.dom.minidom.Document()
    root = doc.appendChild(doc.createElement("items"))
    for it in items:
        node = root.appendChild(doc.createElement("item"))
        node.setAttribute("name", it.name)
        node.setAttribute("price", util.money(it.price))
    return json.dumps({"xml": doc.toxml()})
