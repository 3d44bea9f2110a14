"""The worked queries in README.md give the output printed there, on the repository's data."""

from __future__ import annotations

import pytest
from conftest import ROOT
from readme_queries import output, queries

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_readme_has_six_worked_queries():
    assert len(queries(README)) == 6


@pytest.mark.parametrize("sql, shown", queries(README))
def test_readme_query_prints_what_the_readme_shows(sql, shown):
    assert output(sql) == shown, "the data gives another output: run `python tests/readme_queries.py --write`"
