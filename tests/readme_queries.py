"""The worked queries of README's section "Build and query the data" and the output they print.

    python tests/readme_queries.py           # say which outputs differ from what the data gives
    python tests/readme_queries.py --write   # and write the data's outputs into README.md

Each is a ```console block: `$ aideals query "SQL"` and the table it prints, run on the package in
memory. tests/test_readme_queries.py fails while an output is not the one the data gives (after
rows are added or corrected, rerun with --write and read the new outputs before committing).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECTION = "## Build and query the data"
COMMAND = re.compile(r'```console\n\$ aideals query "(?P<sql>.*?)"\n(?P<output>.*?)```', re.S)


def _split(text: str) -> tuple[str, str, str]:
    head, rest = text.split(SECTION, 1)
    section, tail = rest.split("\n## ", 1)
    return head + SECTION, section, "\n## " + tail


def queries(readme: str) -> list[tuple[str, str]]:
    """(sql, output as README shows it) of each worked query."""
    return [(m["sql"], m["output"]) for m in COMMAND.finditer(_split(readme)[1])]


def output(sql: str, pkg=None) -> str:
    """What `aideals query "SQL"` prints on the repository's package, as a README block holds it."""
    from aideals import package
    from aideals import query as querying

    result = querying.query(sql, db_path=None, pkg=pkg or package.load(ROOT))
    return querying.render(result, "table") + "\n"


def rewritten(readme: str) -> str:
    """README with every worked query's output replaced by what the data gives."""
    from aideals import package

    pkg = package.load(ROOT)
    head, section, tail = _split(readme)

    def block(m: re.Match) -> str:
        return f'```console\n$ aideals query "{m["sql"]}"\n{output(m["sql"], pkg)}```'

    return head + COMMAND.sub(block, section) + tail


def main(argv: list[str]) -> int:
    path = ROOT / "README.md"
    text = path.read_text(encoding="utf-8")
    new = rewritten(text)
    if new == text:
        print("README's worked queries print what README shows")
        return 0
    if "--write" in argv:
        path.write_text(new, encoding="utf-8")
        print("rewrote the outputs of README's worked queries: read them before committing")
        return 0
    print("README's worked queries print other outputs: run python tests/readme_queries.py --write")
    return 1


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    sys.exit(main(sys.argv[1:]))
