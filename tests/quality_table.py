"""README's table of the checks in quality/ (between `<!-- quality:begin -->` and `<!-- quality:end -->`).

    python tests/quality_table.py           # print the table the records make
    python tests/quality_table.py --write   # and write it into README.md

tests/test_quality.py fails while README's table is not the one the records make.
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BLOCK = re.compile(r"(<!-- quality:begin -->\n)(.*?)(\n<!-- quality:end -->)", re.DOTALL)
NAME = re.compile(r"(.+?)-(\d{4}-\d{2}-\d{2})(?:-(\d+))?\.csv")  # KIND-YYYY-MM-DD[-N].csv
VERDICTS = {"ok", "ok_seed", "error", "not_found"}
# A party check's outcome for a value the package lacked: the page read shows it, and it is now set.
ADDED = "added"

# README's table of the checks: what each kind of record reads, in the order the table gives them.
KINDS = {
    "spot-check": "figures drawn at random",
    "spot-reread": "the sampled or large-checked figures whose page had not come back, again",
    "large-check": "the USD figures of $5 billion or more no sample drew",
    "deal-check": "every deal (kind, date, status, parties, summary)",
    "deal-reread": "the deals whose page had not come back, again",
    "dating-check": "deals' dating sources: does the page show the date?",
    "status-check": "open deals: has a later page moved them on?",
    "party-check": "tickers, parents and countries",
    "source-check": "sources' title, publisher, author, date, language and kind",
    "source-reread": "the sources whose page had not come back, again",
    "flow-review": "money figures: `cash` or `equity`?",
    "qualifier-review": "qualifiers against their quotes' words",
}
# Each outcome's words in the table, in the table's order.
OUTCOME_WORDS = {
    "ok": "confirmed", "ok_seed": "confirmed", "error": "error", "repoint": "repointed", "redate": "redated",
    "coarsen": "coarsened", "undate": "undated", "change": "changed", "keep": "kept", "not_found": "not retrievable",
    ADDED: "added (the package held none)",
}


def table() -> str:
    """The table the records make: per kind, records, rows read and their outcomes."""
    lines = ["| check | what it reads | records | rows | outcomes |", "|---|---|---:|---:|---|"]
    order = list(dict.fromkeys(OUTCOME_WORDS.values()))
    for kind, what in KINDS.items():
        paths = records(kind)
        read = [r for path in paths for r in rows(path)]
        counts = {word: 0 for word in order}
        for r in read:
            counts[OUTCOME_WORDS[r["outcome"]]] += 1
        if kind == "dating-check":  # a dating source confirmed is one that shows the date
            counts = {("show the date" if w == "confirmed" else w): n for w, n in counts.items()}
        if kind == "status-check":  # a later stage found, applied or not (the record says why not)
            counts = {("later stage found" if w == "changed" else w): n for w, n in counts.items()}
        # a check whose verdicts are confirmed, error or not retrievable gives its errors even when there are none
        verdicts = {r["outcome"] for r in read} <= VERDICTS | {ADDED}
        outcomes = ", ".join(f"{n} {word}{'s' if word == 'error' and n != 1 else ''}" for word, n in counts.items()
                             if n or (verdicts and word == "error"))
        lines.append(f"| `{kind}` | {what} | {len(paths)} | {len(read)} | {outcomes} |")
    return "\n".join(lines)


def _name(path: Path) -> re.Match:
    m = NAME.fullmatch(path.name)
    if m is None:
        raise ValueError(f"{path.name}: not named KIND-YYYY-MM-DD[-N].csv")
    return m


def made(path: Path) -> tuple[str, int]:
    """The order records were made in: their date, then their number that day (none is the first)."""
    m = _name(path)
    return m.group(2), int(m.group(3) or 1)


def kinds() -> set[str]:
    """The kinds of record in quality/."""
    return {_name(path).group(1) for path in (ROOT / "quality").glob("*.csv")}


def records(kind: str) -> list[Path]:
    """The records of one kind of check under quality/, in the order they were made."""
    return sorted((ROOT / "quality").glob(f"{kind}-*.csv"), key=made)


def rows(path: Path) -> list[dict[str, str]]:
    """The rows of a record; a row with more or fewer cells than the header (a quote inside a field
    not doubled splits it) is refused, naming its line, rather than read with a cell cut off."""
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        out = []
        for row in reader:
            extra = row.pop(None, [])
            cells = sum(v is not None for v in row.values()) + len(extra)
            if cells != len(reader.fieldnames):
                raise ValueError(f"{path.name}: line {reader.line_num}: {cells} cells where the header has "
                                 f"{len(reader.fieldnames)} (a quote inside a field must be doubled)")
            out.append(row)
        return out


def in_readme(text: str) -> str | None:
    """The table as README gives it, or None when it has none."""
    m = BLOCK.search(text)
    return m.group(2) if m else None


def main(argv: list[str]) -> int:
    new = table()
    if "--write" in argv:
        path = ROOT / "README.md"
        text = path.read_text(encoding="utf-8")
        if in_readme(text) is None:
            print("README.md has no <!-- quality:begin --> ... <!-- quality:end --> block", file=sys.stderr)
            return 1
        path.write_text(BLOCK.sub(lambda m: m.group(1) + new + m.group(3), text), encoding="utf-8")
    print(new)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
