"""Makes the files in samples/made/ from real captures elsewhere in samples/.

Each file is a real capture re-written the way another program writes it on its users'
machines (a terminal that hyperlinks file names, Windows PowerShell's Out-File), so the
parsers are tested on those forms without a Windows machine or that terminal at hand.
Deterministic: run `python samples/made/make.py` from the repository root and nothing
changes. Needs Python 3.7+ and nothing else.
"""

import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
SAMPLES = HERE.parent

ESC = "\x1b"
ST = ESC + "\\"
BEL = "\x07"


def link(url, text, end):
    """An OSC 8 hyperlink, as terminals, rich and pytest plugins write it."""
    return f"{ESC}]8;;{url}{end}{text}{ESC}]8;;{end}"


def hyperlinked_dump():
    """py-spy dump with every file name a hyperlink: ST-ended on even lines, BEL on odd."""
    src = (SAMPLES / "pyspy/dump_threads.txt").read_text()
    out = []
    for n, line in enumerate(src.splitlines(keepends=True)):
        end = ST if n % 2 == 0 else BEL
        out.append(
            re.sub(
                r"\(([^():]+\.py):(\d+)\)",
                lambda m: f"({link('file:///home/u/prj/' + m[1], m[1], end)}:{m[2]})",
                line,
            )
        )
    (HERE / "pyspy_dump_threads_hyperlinks.txt").write_text("".join(out))


def hyperlinked_pytest_log():
    """pytest stdout+stderr with test paths as hyperlinks and PASSED in green, as a pytest
    hyperlink plugin in a terminal writes them; the rows after `tests/x.py::test ` start
    mid-line behind a link. The rootdir line's link ends in BEL."""  # noqa: D205
    src = (SAMPLES / "importtime/pytest/pytest_combined.log").read_text()
    out = []
    for line in src.splitlines(keepends=True):
        line = re.sub(
            r"^(tests/[\w/]+\.py)",
            lambda m: link("file:///home/u/prj/app/pytest_project/" + m[1], m[1], ST),
            line,
        )
        line = re.sub(r"^rootdir: (\S+)", lambda m: "rootdir: " + link("file://" + m[1], m[1], BEL), line)
        line = line.replace("PASSED", f"{ESC}[32mPASSED{ESC}[0m")
        # A stress no producer is known to write: the `_pytest.*` module names of the rows
        # themselves as links (BEL-ended), so a row's name field holds an OSC string.
        line = re.sub(
            r"(\| +)(_pytest[\w.]*)$",
            lambda m: m[1] + link("https://docs.pytest.org/", m[2], BEL),
            line,
        )
        out.append(line)
    (HERE / "pytest_combined_hyperlinks.log").write_text("".join(out))


def powershell_wrapped_log(width=80):
    """An importtime log as Windows PowerShell 5.1 writes it for
    `python -X importtime -c "import pandas" 2> importtime.log` in a console `width` columns
    wide: UTF-16LE with a byte-order mark, CRLF, the first stderr line decorated as a
    NativeCommandError record with its error block, and every line longer than the console
    broken into pieces of exactly `width` characters (no row of the samples is longer than 120
    columns, so 80, the classic console width, is used: 83 rows break)."""
    rows = (SAMPLES / "importtime/single/py311_pandas.log").read_text().splitlines()
    command = 'python -X importtime -c "import pandas" 2> importtime.log'
    lines = [
        "python : " + rows[0],
        "At line:1 char:1",
        "+ " + command,
        "+ " + "~" * len(command),
        "    + CategoryInfo          : NotSpecified: (import time: se...ported package:String) [], RemoteException",
        "    + FullyQualifiedErrorId : NativeCommandError",
        " ",
    ] + rows[1:]
    out = []
    for line in lines:
        while len(line) > width:
            out.append(line[:width])
            line = line[width:]
        out.append(line)
    text = "".join(line + "\r\n" for line in out)
    (HERE / "powershell_wrapped80_pandas.log").write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))


if __name__ == "__main__":
    hyperlinked_dump()
    hyperlinked_pytest_log()
    powershell_wrapped_log()
