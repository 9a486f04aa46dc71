"""pstats ground truth for imports (cct.py record): a package whose modules import each other
and the stdlib, a module imported lazily inside a function, and work after the imports."""
import shop


def report(n):
    from shop import report as rep  # lazy: shop.report loads here, under report()

    return rep.render(shop.models.catalogue(n))


def summary():
    import email.mime.text  # a lazy stdlib package import

    return email.mime.text.MIMEText("done").as_string()


if __name__ == "__main__":
    out = report(300)
    summary()
    print(len(out))
