"""The plugin documentation cannot drift: every hook and built-in metric is documented and tested."""

from __future__ import annotations

import inspect
import re

import pytest

from aideals import hookspecs, plugins
from conftest import ROOT

README = ROOT / "plugins" / "README.md"
HOOKS = sorted(name for name, obj in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("aideals_"))


def test_there_are_hooks_to_document():
    assert HOOKS == ["aideals_register_checks", "aideals_register_metrics"]


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_docstring_and_a_readme_section(hook):
    assert inspect.getdoc(getattr(hookspecs, hook)), hook
    headings = re.findall(r"^### `?(\w+)\(", README.read_text(encoding="utf-8"), flags=re.M)
    assert hook in headings, f"plugins/README.md has no '### {hook}()' section"


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_used_by_a_test(hook):
    tests = [p for p in (ROOT / "tests").glob("test_*.py") if p.name != "test_plugin_docs.py"]
    assert any(f"def {hook}(" in p.read_text(encoding="utf-8") for p in tests), f"no test implements {hook}"


def test_every_builtin_metric_is_documented_with_its_formula():
    text = README.read_text(encoding="utf-8")
    loaded = plugins.load(ROOT, limit=None, entry_points=[])
    names = [m.name for m in loaded.metrics()]
    assert names
    for name in names:
        section = re.search(rf"^### `{name}`\n(.*?)(?=^##)", text, flags=re.M | re.S)
        assert section, f"plugins/README.md has no '### `{name}`' section"
        assert "Formula" in section.group(1) and "Caveats" in section.group(1), name
        module = ROOT / "plugins" / f"{name}.py"
        assert "Formula" in (inspect.getdoc(plugins.import_file(module)) or ""), name


def test_the_checks_example_follows_the_check_contract(tmp_path):
    """The example of aideals_register_checks runs: no finding on a valid package, one on a negative amount."""
    import shutil

    from aideals import checks, package

    section = README.read_text(encoding="utf-8").split("### `aideals_register_checks()`", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, flags=re.S).group(1)
    namespace: dict = {}
    exec(compile(code, "plugins/README.md", "exec"), namespace)
    example = namespace["aideals_register_checks"]()
    shutil.copytree(ROOT / "tests" / "corpus" / "valid-base", tmp_path / "pkg")
    assert checks.validate(package.load(tmp_path / "pkg"), extra_checks=example).findings == []
    figures = tmp_path / "pkg" / "data" / "figures.csv"
    figures.write_text(figures.read_text(encoding="utf-8").replace(",1000000000,", ",-1000000000,"), encoding="utf-8")
    found = checks.validate(package.load(tmp_path / "pkg"), extra_checks=example).findings
    assert [f.line() for f in found if f.check == "amounts_are_not_negative"] == [
        "data/figures.csv:2: value: a USD amount below zero"
    ]


def qualifier_table() -> dict[str, tuple[str, str, str, str]]:
    """plugins/README.md's table of what a result's qualifier means: qualifier -> (value_high,
    may be lower, may be higher, an input approximate), each `given`/`null` or `yes`/`no`/`either`."""
    text = README.read_text(encoding="utf-8")
    section = re.search(r"^### What a result's qualifier means\n(.*?)(?=^##)", text, flags=re.M | re.S)
    assert section, "plugins/README.md has no '### What a result's qualifier means' section"
    rows = re.findall(r"^\| `(\w+)` \| (\S+) \| (\w+) \| (\w+) \| (\w+) \| .+ \|$", section.group(1), flags=re.M)
    return {name: (high.strip("`"), lower, higher, approximate) for name, high, lower, higher, approximate in rows}


def test_the_result_qualifiers_are_documented_as_quantities_gives_them():
    """Each combination of a result's range and bounds has the qualifier the table gives it (the
    first row that fits), and that is Quantity's: `estimate` is a value open both ways."""
    import itertools

    from aideals.metrics import result_schema
    from aideals.quantities import Quantity

    table = qualifier_table()
    assert list(table) == ["range", "estimate", "up_to", "at_least", "approximately", "exact"]
    assert table["estimate"] == ("null", "yes", "yes", "either")
    enum = result_schema(ROOT)["properties"]["qualifier"]["enum"]
    assert sorted(table) == sorted(q for q in enum if q is not None)

    def fits(cell: str, flag: bool) -> bool:
        return cell in ("either", "yes" if flag else "no", "given" if flag else "null")

    for ranged, lower, higher, approximate in itertools.product((False, True), repeat=4):
        documented = next(name for name, cells in table.items()
                          if all(fits(c, f) for c, f in zip(cells, (ranged, lower, higher, approximate), strict=True)))
        q = Quantity(1.0, 2.0 if ranged else 1.0, ("f",), lower, higher, approximate)
        assert q.qualifier == documented, (ranged, lower, higher, approximate)


def test_the_result_schema_says_what_each_qualifier_means():
    from aideals.metrics import result_schema

    qualifier = result_schema(ROOT)["properties"]["qualifier"]
    described = re.findall(r"`(\w+)`: ", qualifier["description"])
    assert described == ["range", "estimate", "up_to", "at_least", "approximately", "exact"]
    assert "`estimate`: one value that may be lower and may be higher" in qualifier["description"]
