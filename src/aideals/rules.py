"""JSON Schema row rules (schemas/<resource>.rules.json), checked with jsonschema.

This is the reference implementation: the fast engine compiles the same rules to SQL, and the
tests compare both. A row is the JSON object of its non-empty cells, typed by the Table Schema.
Rule files use one keyword of our own, `fieldComparisons`, for comparisons between two fields
of the row (JSON Schema has none); each rule is one entry of the top-level `allOf`.
"""

from __future__ import annotations

import csv
import json
from datetime import datetime
from collections.abc import Iterable, Iterator
from pathlib import Path

from aideals.findings import Finding
from aideals.package import Package

OPERATORS = {
    ">=": lambda a, b: a >= b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    "<": lambda a, b: a < b,
    "!=": lambda a, b: a != b,
    "==": lambda a, b: a == b,
}


def rules_path(pkg: Package, resource: str) -> Path:
    """Where the row rules of a resource live: schemas/<resource>.rules.json."""
    return pkg.root / "schemas" / f"{resource}.rules.json"


def load_rules(pkg: Package, resource: str) -> dict | None:
    """The rules document of a resource, or None when it has none.

    A file that is not JSON, not an object, or whose `allOf` is not a list of rule objects is a
    PackageError naming it (jsonschema's own schema check would cost its import on every validate)."""
    from aideals.errors import PackageError
    from aideals.package import _read_json

    path = rules_path(pkg, resource)
    if not path.is_file():
        return None
    label = path.relative_to(pkg.root).as_posix()
    rules = _read_json(path, label)
    listed = rules.get("allOf", [])
    if not isinstance(listed, list):
        raise PackageError(f"{label}: allOf: must be a list of rules, not {type(listed).__name__}")
    for i, rule in enumerate(listed):
        if not isinstance(rule, dict):
            raise PackageError(f"{label}: allOf[{i}]: must be a rule (a JSON object), not {json.dumps(rule)}")
    return rules


def _field_comparisons(validator, comparisons, instance, schema):
    from jsonschema.exceptions import ValidationError

    if not validator.is_type(instance, "object"):
        return
    for comp in comparisons:
        left, right, op = comp["left"], comp["right"], comp["op"]
        if left in instance and right in instance and not OPERATORS[op](instance[left], instance[right]):
            yield ValidationError(f"{left} {instance[left]!r} is not {op} {right} {instance[right]!r}")


def validator_class():
    """Draft 2020-12 validator extended with the `fieldComparisons` keyword."""
    from jsonschema import Draft202012Validator, validators

    return validators.extend(Draft202012Validator, {"fieldComparisons": _field_comparisons})


def rule_list(rules: dict) -> list[dict]:
    """The rules of a document: the entries of its top-level allOf."""
    return list(rules.get("allOf", []))


def units_by_measure(rules: dict) -> dict[str, list[str]]:
    """measure -> the units that fit it, from the if/then clauses of the `unit_fits_measure` rule of
    a figures rules document (empty when it has no such rule)."""
    rule = next((r for r in rule_list(rules) if r.get("title") == "unit_fits_measure"), {})
    out: dict[str, list[str]] = {}
    for clause in rule.get("allOf", []):
        measure = clause["if"]["properties"]["measure"]
        unit = clause["then"]["properties"]["unit"]
        for m in measure.get("enum") or [measure["const"]]:
            out[m] = unit.get("enum") or [unit["const"]]
    return out


def money_measures(pkg: Package) -> list[str]:
    """The measures of figures stated in money: those the `unit_fits_measure` rule lets take USD."""
    units = units_by_measure(load_rules(pkg, "figures") or {})
    return [measure for measure, allowed in units.items() if "USD" in allowed]


def typed_row(cells: dict[str, str], fields: dict[str, str], missing: Iterable[str] = ("",)) -> dict:
    """Keep the cells that are values (not empty, not one of the schema's `missingValues`), as
    numbers where the Table Schema says number or integer and as ISO text where it says date
    (`2025-3-7` is the date 2025-03-07, compared as `2025-03-07`)."""
    missing = set(missing) | {""}
    row: dict = {}
    for name, raw in cells.items():
        if raw is None or (isinstance(raw, str) and raw in missing):
            continue
        kind = fields.get(name, "string")
        if kind in ("number", "integer"):
            try:
                row[name] = int(raw) if kind == "integer" else float(raw)
            except ValueError:
                continue  # a type error is the Table Schema layer's finding, not a rule's
        elif kind == "date":
            try:
                row[name] = datetime.strptime(raw, "%Y-%m-%d").date().isoformat()
            except ValueError:
                row[name] = raw  # not a date: the Table Schema layer reports it; rules see the text
        else:
            row[name] = raw
    return row


def format_message(rule: dict, row: dict) -> tuple[str, str | None]:
    """Render a rule's x-message for a row: {value} is the blamed field, {other} the compared one."""
    field = rule.get("x-field")
    value = row.get(field)
    other = None
    for comp in rule.get("fieldComparisons", []):
        if comp["left"] == field:
            other = row.get(comp["right"])
    context = {k: _show(v) for k, v in row.items()}
    context.update(value=_show(value), other=_show(other))
    return rule.get("x-message", rule.get("title", "rule failed")).format_map(_Default(context)), (
        None if value is None else _show(value)
    )


class _Default(dict):
    def __missing__(self, key: str) -> str:
        return ""


def _show(v: object) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return "" if v is None else str(v)


def check_rows(
    rules: dict, rows: Iterable[tuple[int, dict[str, str]]], fields: dict[str, str], file: str,
    missing: Iterable[str] = ("",),
) -> Iterator[Finding]:
    """Check (row_number, cells) pairs against every rule; yield one Finding per failed rule."""
    cls = validator_class()
    compiled = [(r, cls(r)) for r in rule_list(rules)]
    missing = list(missing)
    for number, cells in rows:
        row = typed_row(cells, fields, missing)
        for rule, validator in compiled:
            if not validator.is_valid(row):
                message, value = format_message(rule, row)
                yield Finding(file, number, rule.get("x-field"), rule.get("title", "rule"), "row-rule", message, value)


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows of a CSV file as (row_number, cells); the header is row 1."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        for i, row in enumerate(csv.DictReader(fh), start=2):
            yield i, row


def check_package(pkg: Package) -> list[Finding]:
    """Check every resource that has a rules file, with jsonschema (the reference engine)."""
    findings: list[Finding] = []
    for name, res in pkg.resources.items():
        rules = load_rules(pkg, name)
        if rules is None:
            continue
        fields = {f["name"]: f.get("type", "string") for f in res.schema.get("fields", [])}
        missing = [str(m) for m in res.schema.get("missingValues", [""])]
        findings.extend(check_rows(rules, read_rows(res.path), fields, res.relpath, missing))
    return findings
