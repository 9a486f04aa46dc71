"""Imports rich, requests and dataclasses at the top, pydantic and numpy inside the functions
that need them (lazy imports), and does a little work with each (for cProfile: module bodies
run from several importers, and imports under function calls)."""
import dataclasses

import requests
from rich.console import Console
from rich.table import Table


@dataclasses.dataclass
class Row:
    name: str
    size: int


def validate(rows):
    from pydantic import BaseModel

    class Item(BaseModel):
        name: str
        size: int

    return [Item(name=r.name, size=r.size) for r in rows]


def statistics(rows):
    import numpy

    sizes = numpy.array([r.size for r in rows])
    return float(sizes.mean()), float(sizes.std())


def render(rows):
    table = Table(title="rows")
    table.add_column("name")
    table.add_column("size")
    for r in rows:
        table.add_row(r.name, str(r.size))
    console = Console(file=open("/dev/null", "w"), width=100)
    console.print(table)


def main():
    rows = [Row(f"row{i}", i * 7 % 101) for i in range(400)]
    validate(rows)
    print("mean/std", statistics(rows))
    render(rows)
    print("requests", requests.__version__)


if __name__ == "__main__":
    main()
