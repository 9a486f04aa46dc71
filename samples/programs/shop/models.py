import dataclasses
import decimal


@dataclasses.dataclass
class Item:
    name: str
    price: decimal.Decimal


def catalogue(n):
    return [Item("item%d" % i, decimal.Decimal(i) / 3) for i in range(n)]
