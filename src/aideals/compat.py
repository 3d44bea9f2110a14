"""The versioning guard: which changes since the last release need a MAJOR version.

Data Package recipe: a schema change that can break a reader's code or query is incompatible.
Here that is a resource or field removed (a rename is a removal plus an addition), a type
narrowed, an enum value removed, a constraint tightened, a required field added, the primary
key changed, a foreign key added, or primary-key ids that were published and are gone.
"""

from __future__ import annotations

from dataclasses import dataclass

from aideals.snapshot import Snapshot

# (old type, new type) pairs that accept every value the old type accepted.
WIDENINGS = {
    ("integer", "number"),
    ("year", "integer"),
    ("year", "number"),
}
MAX_IDS_SHOWN = 5


@dataclass(frozen=True, order=True)
class IncompatibleChange:
    """One change since the previous release that needs a MAJOR version."""

    resource: str
    field: str | None
    message: str

    def line(self) -> str:
        """`resource: field: message`."""
        return f"{self.resource}: {self.field}: {self.message}" if self.field else f"{self.resource}: {self.message}"


def type_widens(old: str, new: str) -> bool:
    """True when type `new` accepts every value type `old` accepted."""
    return old == new or new == "string" or (old, new) in WIDENINGS


def ordered(compare, old, new) -> bool:
    """`compare(old, new)`, or True when the two bounds cannot be compared (a number against a
    date string): a bound whose kind changed counts as changed."""
    try:
        return bool(compare(old, new))
    except TypeError:
        return True


def field_changes(resource: str, old: dict, new: dict) -> list[IncompatibleChange]:
    """Incompatible differences between two versions of one Table Schema field."""
    name = old["name"]
    out: list[IncompatibleChange] = []

    def add(msg: str) -> None:
        out.append(IncompatibleChange(resource, name, msg))

    old_type, new_type = old.get("type", "string"), new.get("type", "string")
    if not type_widens(old_type, new_type):
        add(f"type narrowed from {old_type} to {new_type}")
    oc, nc = old.get("constraints", {}) or {}, new.get("constraints", {}) or {}
    if "enum" in nc:
        if "enum" not in oc:
            add(f"enum added: only {nc['enum']} allowed now")
        else:
            gone = [v for v in oc["enum"] if v not in nc["enum"]]
            if gone:
                add(f"enum value{'s' if len(gone) > 1 else ''} removed: {', '.join(map(str, gone))}")
    if nc.get("required") and not oc.get("required"):
        add("now required")
    if nc.get("unique") and not oc.get("unique"):
        add("now unique")
    for key, tighter in (("minimum", lambda o, n: n > o), ("minLength", lambda o, n: n > o),
                         ("exclusiveMinimum", lambda o, n: n > o)):
        if key in nc and (key not in oc or ordered(tighter, oc[key], nc[key])):
            add(f"{key} raised to {nc[key]}" if key in oc else f"{key} {nc[key]} added")
    for key, tighter in (("maximum", lambda o, n: n < o), ("maxLength", lambda o, n: n < o),
                         ("exclusiveMaximum", lambda o, n: n < o)):
        if key in nc and (key not in oc or ordered(tighter, oc[key], nc[key])):
            add(f"{key} lowered to {nc[key]}" if key in oc else f"{key} {nc[key]} added")
    if "pattern" in nc and nc.get("pattern") != oc.get("pattern"):
        add(f"pattern changed to {nc['pattern']!r}")
    return out


def schema_changes(resource: str, old: dict, new: dict) -> list[IncompatibleChange]:
    """Incompatible differences between two versions of a Table Schema."""
    out: list[IncompatibleChange] = []
    old_fields = {f["name"]: f for f in old.get("fields", [])}
    new_fields = {f["name"]: f for f in new.get("fields", [])}
    for name, ofield in old_fields.items():
        if name not in new_fields:
            out.append(IncompatibleChange(resource, name, "field removed or renamed"))
        else:
            out += field_changes(resource, ofield, new_fields[name])
    for name, nfield in new_fields.items():
        if name not in old_fields and (nfield.get("constraints") or {}).get("required"):
            out.append(IncompatibleChange(resource, name, "required field added"))

    def pk(schema: dict) -> list[str]:
        value = schema.get("primaryKey") or []
        return [value] if isinstance(value, str) else list(value)

    if pk(old) != pk(new):
        out.append(IncompatibleChange(resource, None, f"primary key changed from {pk(old)} to {pk(new)}"))
    # A foreign key added (or pointed elsewhere) refuses rows the old schema let through: a
    # tightening, as a constraint is. One removed only loosens.
    for fields, target, target_fields in tightening_foreign_keys(resource, old, new):
        out.append(IncompatibleChange(
            resource, ", ".join(fields), f"foreign key added: references {target}({', '.join(target_fields)})"))
    return out


def tightening_foreign_keys(resource: str, old: dict, new: dict) -> list[tuple[tuple[str, ...], str, tuple[str, ...]]]:
    """The foreign keys of `new` not in `old` that refuse rows `old` accepted: those on a field the
    old schema had (a key only on fields it did not have refuses no old row: no old row has them)."""
    old_fields = {f["name"] for f in old.get("fields", [])}
    added = set(foreign_keys(new, resource)) - set(foreign_keys(old, resource))
    return sorted(k for k in added if set(k[0]) & old_fields)


def foreign_keys(schema: dict, resource: str) -> list[tuple[tuple[str, ...], str, tuple[str, ...]]]:
    """(fields, referenced resource, referenced fields) of each foreign key; a reference to the
    resource itself (`""`) is named by `resource`."""

    def names(value: object) -> tuple[str, ...]:
        return (value,) if isinstance(value, str) else tuple(str(v) for v in value or ())

    keys = []
    for fk in schema.get("foreignKeys") or []:
        if isinstance(fk, dict) and isinstance(fk.get("reference"), dict):
            ref = fk["reference"]
            keys.append((names(fk.get("fields")), str(ref.get("resource") or resource), names(ref.get("fields"))))
    return keys


def removed_ids(resource: str, old: Snapshot, new: Snapshot, key: list[str]) -> IncompatibleChange | None:
    """The primary-key ids published in `old` and gone from `new`, as one change (None when none are)."""
    def keys(snap: Snapshot) -> set[str]:
        header, rows = snap.rows(resource)
        if any(k not in header for k in key):
            return set()
        return {", ".join(r.get(k) or "" for k in key) for r in rows}

    gone = sorted(keys(old) - keys(new))
    if not gone:
        return None
    shown = ", ".join(gone[:MAX_IDS_SHOWN]) + (f" and {len(gone) - MAX_IDS_SHOWN} more" if len(gone) > MAX_IDS_SHOWN else "")
    return IncompatibleChange(resource, "/".join(key), f"{len(gone)} published id{'s' if len(gone) > 1 else ''} removed: {shown}")


def incompatible_changes(old: Snapshot, new: Snapshot) -> list[IncompatibleChange]:
    """Every change from the release `old` to the package `new` that needs a MAJOR version."""
    out: list[IncompatibleChange] = []
    new_names = set(new.resource_names())
    for name in old.resource_names():
        if name not in new_names:
            out.append(IncompatibleChange(name, None, "resource removed"))
            continue
        old_schema, new_schema = old.schema(name), new.schema(name)
        out += schema_changes(name, old_schema, new_schema)
        key = old.primary_key(name)
        if key and key == new.primary_key(name):
            change = removed_ids(name, old, new, key)
            if change:
                out.append(change)
    return out
