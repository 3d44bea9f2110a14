"""`aideals diff A B`: rows added, removed and changed, by primary key, between two packages.

A and B are release paths or git revisions (see `aideals.snapshot`). Values are compared as
written in the CSV files, so `10` and `10.0` differ: a release publishes bytes, not numbers.
Each table's Table Schema is compared too (`schema_lines`): enum values added or removed, types,
constraints, descriptions, keys; a change that needs a MAJOR version (`aideals.compat`) says so.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from aideals import compat
from aideals.errors import PackageError
from aideals.snapshot import Snapshot


@dataclass(frozen=True)
class FieldChange:
    """One cell whose value changed."""

    field: str
    old: str
    new: str


@dataclass(frozen=True)
class RowChange:
    """A row present in both packages whose values differ."""

    key: str
    changes: list[FieldChange]


@dataclass
class TableDiff:
    """How one table differs between A and B."""

    name: str
    key_fields: list[str]
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[RowChange] = field(default_factory=list)
    fields_added: list[str] = field(default_factory=list)
    fields_removed: list[str] = field(default_factory=list)
    table_added: bool = False
    table_removed: bool = False
    schema: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (
            self.added or self.removed or self.changed or self.fields_added or self.fields_removed or self.schema
        ) and not (self.table_added or self.table_removed)


@dataclass
class PackageDiff:
    """The differences between two packages, table by table."""

    a: str
    b: str
    tables: list[TableDiff]

    @property
    def empty(self) -> bool:
        return all(t.empty for t in self.tables)

    def to_dict(self) -> dict:
        """A JSON-ready form of the diff."""
        return asdict(self)


def _keyed_rows(snap: Snapshot, name: str, key_fields: list[str]) -> tuple[list[str], dict[str, dict[str, str]]]:
    header, rows = snap.rows(name)
    missing = [k for k in key_fields if k not in header]
    if missing:
        raise PackageError(f"{snap.label}: {name}: primary key field {missing[0]!r} is not in the CSV header")
    keyed: dict[str, dict[str, str]] = {}
    for lineno, row in enumerate(rows, start=2):
        key = ", ".join(row.get(k) or "" for k in key_fields)
        if key in keyed:
            raise PackageError(f"{snap.label}: {name}:{lineno}: {', '.join(key_fields)}: duplicate key {key!r}")
        keyed[key] = row
    return header, keyed


def diff_table(a: Snapshot | None, b: Snapshot | None, name: str) -> TableDiff:
    """Compare table `name`; a None side means the table is absent from that package."""
    ref = b if b is not None else a
    assert ref is not None
    key_fields = ref.primary_key(name)
    if not key_fields:
        raise PackageError(f"{ref.label}: {name}: no primaryKey in its schema: rows cannot be matched")
    out = TableDiff(name, key_fields, table_added=a is None, table_removed=b is None)
    header_a, rows_a = _keyed_rows(a, name, key_fields) if a is not None else ([], {})
    header_b, rows_b = _keyed_rows(b, name, key_fields) if b is not None else ([], {})
    if a is not None and b is not None:
        out.fields_added = [f for f in header_b if f not in header_a]
        out.fields_removed = [f for f in header_a if f not in header_b]
    out.added = [k for k in rows_b if k not in rows_a]
    out.removed = [k for k in rows_a if k not in rows_b]
    common = [f for f in header_b if f in header_a]
    for key, new in rows_b.items():
        old = rows_a.get(key)
        if old is None:
            continue
        changes = [FieldChange(f, old.get(f) or "", new.get(f) or "") for f in common if (old.get(f) or "") != (new.get(f) or "")]
        if changes:
            out.changed.append(RowChange(key, changes))
    return out


def _values(values: list) -> str:
    return ", ".join(map(str, values))


def _loosened(looser, old, new) -> bool:
    """`looser(old, new)`; False for bounds of different kinds (a date, then a number), which
    `compat` reports as an incompatible change."""
    try:
        return bool(looser(old, new))
    except TypeError:
        return False


def _field_lines(old: dict, new: dict) -> list[str]:
    """What changed in one field's definition that `compat` does not call incompatible."""
    name = old["name"]
    out: list[str] = []
    old_type, new_type = old.get("type", "string"), new.get("type", "string")
    if old_type != new_type and compat.type_widens(old_type, new_type):
        out.append(f"{name}: type widened from {old_type} to {new_type}")
    if old.get("format", "default") != new.get("format", "default"):
        out.append(f"{name}: format {old.get('format', 'default')} → {new.get('format', 'default')}")
    oc, nc = old.get("constraints") or {}, new.get("constraints") or {}
    if "enum" in oc and "enum" in nc:
        added = [v for v in nc["enum"] if v not in oc["enum"]]
        if added:
            out.append(f"{name}: enum value{'s' if len(added) > 1 else ''} added: {_values(added)}")
    elif "enum" in oc:
        out.append(f"{name}: enum dropped (any value allowed)")
    for key in ("required", "unique"):
        if oc.get(key) and not nc.get(key):
            out.append(f"{name}: no longer {key}")
    for key, looser in (("minimum", lambda o, n: n < o), ("minLength", lambda o, n: n < o),
                        ("exclusiveMinimum", lambda o, n: n < o), ("maximum", lambda o, n: n > o),
                        ("maxLength", lambda o, n: n > o), ("exclusiveMaximum", lambda o, n: n > o)):
        if key in oc and (key not in nc or _loosened(looser, oc[key], nc[key])):
            out.append(f"{name}: {key} {oc[key]} → {nc[key] if key in nc else 'dropped'}")
    if "pattern" in oc and "pattern" not in nc:
        out.append(f"{name}: pattern dropped")
    if old.get("description") != new.get("description"):
        out.append(f"{name}: description changed")
    return out


def schema_lines(resource: str, old: dict, new: dict) -> list[str]:
    """One line per change between two versions of a Table Schema: the incompatible ones first
    (marked so: they need a MAJOR version), then the others, field by field in the new order.
    Fields added or removed are left to the CSV headers' comparison."""
    old_fields = {f["name"]: f for f in old.get("fields", [])}
    removed = set(old_fields) - {f["name"] for f in new.get("fields", [])}
    incompatible = [c for c in compat.schema_changes(resource, old, new) if c.field not in removed]
    out = [f"{c.field}: {c.message} (incompatible)" if c.field else f"{c.message} (incompatible)" for c in incompatible]
    for nfield in new.get("fields", []):
        if nfield["name"] in old_fields:
            out += _field_lines(old_fields[nfield["name"]], nfield)
    # Compared as compat reads them (`"x"` is `["x"]`); a key added that compat marks is not said twice.
    old_keys, new_keys = set(compat.foreign_keys(old, resource)), set(compat.foreign_keys(new, resource))
    if old_keys - new_keys or new_keys - old_keys - set(compat.tightening_foreign_keys(resource, old, new)):
        out.append("foreign keys changed")
    return out


def _comparable_schema(snap: Snapshot, name: str) -> dict:
    """Resource `name`'s Table Schema, refused in one line (`package.check_schema`) when aideals
    could not read it: what `schema_lines` compares is then well formed."""
    from aideals.package import check_schema

    schema = snap.schema(name)
    check_schema(schema, f"{snap.label}: {name}: schema")
    return schema


def diff_packages(a: Snapshot, b: Snapshot) -> PackageDiff:
    """Compare every table of two packages (B's order, then tables only A has)."""
    names_a, names_b = a.resource_names(), b.resource_names()
    tables = [diff_table(a if n in names_a else None, b, n) for n in names_b]
    for t in tables:
        if not t.table_added:
            t.schema = schema_lines(t.name, _comparable_schema(a, t.name), _comparable_schema(b, t.name))
    tables += [diff_table(a, None, n) for n in names_a if n not in names_b]
    return PackageDiff(a.label, b.label, tables)


def _counts(t: TableDiff) -> str:
    return f"{len(t.added)} added, {len(t.removed)} removed, {len(t.changed)} changed"


def format_text(d: PackageDiff) -> str:
    """Plain text for a terminal: one block per table."""
    lines = [f"diff {d.a} -> {d.b}"]
    for t in d.tables:
        status = " (new table)" if t.table_added else " (table removed)" if t.table_removed else ""
        lines.append(f"{t.name}{status}: {_counts(t)}")
        for f in t.fields_added:
            lines.append(f"  + field {f}")
        for f in t.fields_removed:
            lines.append(f"  - field {f}")
        lines += [f"  schema: {line}" for line in t.schema]
        lines += [f"  + {k}" for k in t.added]
        lines += [f"  - {k}" for k in t.removed]
        for rc in t.changed:
            lines.append(f"  ~ {rc.key}")
            lines += [f"      {c.field}: {json.dumps(c.old, ensure_ascii=False)} → {json.dumps(c.new, ensure_ascii=False)}" for c in rc.changes]
    if d.empty:
        lines.append("no differences")
    return "\n".join(lines)


def _md(value: str) -> str:
    if value == "":
        return "(empty)"
    return "`" + value.replace("`", "'").replace("\n", " ") + "`"


def format_markdown(d: PackageDiff) -> str:
    """Markdown ready to paste under a CHANGELOG release section."""
    lines: list[str] = []
    for t in d.tables:
        if t.empty:
            continue
        title = f"`{t.name}`" + (" (new table)" if t.table_added else " (table removed)" if t.table_removed else "")
        lines.append(f"#### {title}: {_counts(t)}")
        lines += [f"- Field added: `{f}`" for f in t.fields_added]
        lines += [f"- Field removed: `{f}`" for f in t.fields_removed]
        lines += [f"- Schema: {line}" for line in t.schema]
        lines += [f"- Added: `{k}`" for k in t.added]
        lines += [f"- Removed: `{k}`" for k in t.removed]
        for rc in t.changed:
            parts = "; ".join(f"`{c.field}` {_md(c.old)} → {_md(c.new)}" for c in rc.changes)
            lines.append(f"- Changed `{rc.key}`: {parts}")
        lines.append("")
    if not lines:
        return "No changes to the data."
    return "\n".join(lines).rstrip("\n")


def format_json(d: PackageDiff) -> str:
    """The diff as indented JSON."""
    return json.dumps(d.to_dict(), ensure_ascii=False, indent=2)


FORMATTERS = {"text": format_text, "markdown": format_markdown, "json": format_json}
