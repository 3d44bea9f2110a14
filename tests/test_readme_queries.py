"""The worked queries in README.md give the output printed there, on the repository's data."""

from __future__ import annotations

import re

import pytest
from conftest import ROOT

from aideals import package
from aideals import query as querying

COMMAND = re.compile(r'```console\n\$ aideals query "(?P<sql>.*?)"\n(?P<output>.*?)```', re.S)


def readme_queries() -> list[tuple[str, str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Build and query the data", 1)[1].split("\n## ", 1)[0]
    return [(m["sql"], m["output"]) for m in COMMAND.finditer(section)]


def test_the_readme_has_four_worked_queries():
    assert len(readme_queries()) == 4


@pytest.mark.parametrize("sql, output", readme_queries())
def test_readme_query_prints_what_the_readme_shows(sql, output):
    result = querying.query(sql, db_path=None, pkg=package.load(ROOT))
    assert querying.render(result, "table") + "\n" == output
