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
