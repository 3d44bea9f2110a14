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
