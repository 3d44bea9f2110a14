"""Finding and reading the data package: its root, its descriptor and its resources."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from aideals.errors import PackageError, not_a_file

DESCRIPTOR = "datapackage.json"
RESOURCE_NAMES = ("parties", "sources", "deals", "figures")


@dataclass(frozen=True)
class Resource:
    """One tabular resource of the package, with its Table Schema loaded."""

    name: str
    path: Path  # absolute path of the CSV file
    relpath: str  # path as written in datapackage.json, relative to the root
    schema: dict
    schema_relpath: str | None
    descriptor: dict = field(repr=False)

    @property
    def field_names(self) -> list[str]:
        return [f["name"] for f in self.schema.get("fields", [])]


@dataclass(frozen=True)
class Package:
    """A data package on disk: its root directory, descriptor and resources by name."""

    root: Path
    descriptor: dict
    resources: dict[str, Resource]

    @property
    def version(self) -> str:
        return str(self.descriptor.get("version", ""))

    def resource(self, name: str) -> Resource:
        try:
            return self.resources[name]
        except KeyError:
            raise PackageError(f"{DESCRIPTOR}: resources: no resource named {name!r}") from None


def working_dir() -> Path | None:
    """The current directory, or None when it no longer exists (deleted while the shell stayed in
    it): the commands given absolute paths still run there, and show paths in full."""
    try:
        return Path.cwd()
    except FileNotFoundError:
        return None


def find_root(start: Path | None = None) -> Path:
    """Return the nearest directory at or above `start` (the current directory) holding a
    datapackage.json, like git does."""
    if start is None:
        start = working_dir()
        if start is None:
            raise PackageError(f"no {DESCRIPTOR} found: the current directory no longer exists (use --package)")
    here = start.resolve()
    for candidate in (here, *here.parents):
        if (candidate / DESCRIPTOR).is_file():
            return candidate
        # a datapackage.json that is a directory, a FIFO (never opened)...: said, rather than
        # passed over for a package further up, which the user did not mean
        kind = not_a_file(candidate / DESCRIPTOR)
        if kind:
            raise PackageError(f"{candidate / DESCRIPTOR}: {kind}, not a file (use --package)")
    raise PackageError(f"no {DESCRIPTOR} found in {here} or any parent directory (use --package)")


def resolve_root(package: str | Path | None, given_as: str = "--package") -> Path:
    """Turn a --package option (a directory or a datapackage.json path) into a package root.

    `given_as` names how the user gave it, for the error (`validate`'s positional PATH)."""
    if package is None:
        return find_root()
    p = Path(package)
    if p.is_file():
        if p.name != DESCRIPTOR:
            raise PackageError(f"{p}: {given_as} takes a package directory or its {DESCRIPTOR}, not another file")
        return p.resolve().parent
    if p.is_dir():
        if not (p / DESCRIPTOR).is_file():
            kind = not_a_file(p / DESCRIPTOR)  # a directory, a FIFO (never opened: it would block)...
            if kind:
                raise PackageError(f"{p / DESCRIPTOR}: {kind}, not a file")
            raise PackageError(f"{p}: no {DESCRIPTOR} in this directory")
        return p.resolve()
    kind = not_a_file(p)
    if kind and kind.startswith("a symbolic link"):  # to nothing
        raise PackageError(f"{p}: {kind}")
    if kind:
        raise PackageError(f"{p}: {given_as} takes a package directory or its {DESCRIPTOR}, not {kind}")
    raise PackageError(f"{p}: no such package directory or descriptor")


def read_text(path: Path, label: str) -> str:
    """The text of the UTF-8 file `path`; a file that is not UTF-8 is a PackageError naming `label`,
    the line and the byte (README.md, CHANGELOG.md, CITATION.cff that a command reads or rewrites)."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1
        raise PackageError(f"{label}:{line}: not UTF-8 (byte {exc.object[exc.start]:#04x} at offset {exc.start})") from None


def _read_json(path: Path, label: str) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PackageError(f"{label}: file not found") from None
    except UnicodeDecodeError as exc:
        raise PackageError(f"{label}: not UTF-8 (byte {exc.start})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PackageError(f"{label}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    if not isinstance(data, dict):
        raise PackageError(f"{label}: must hold a JSON object, not {type(data).__name__}")
    return data


def safe_relpath(root: Path, relpath: object, label: str) -> Path:
    """Resolve a path from the descriptor, refusing URLs, absolute paths and escapes from the root."""
    if not isinstance(relpath, str) or not relpath:
        raise PackageError(f"{label}: path must be a non-empty string, got {relpath!r}")
    if "://" in relpath or relpath.startswith(("/", "\\")) or (len(relpath) > 1 and relpath[1] == ":"):
        raise PackageError(f"{label}: path {relpath!r} is refused: only relative paths inside the package")
    resolved = (root / relpath).resolve()
    if resolved != root and root not in resolved.parents:
        raise PackageError(f"{label}: path {relpath!r} is refused: it leaves the package directory")
    return resolved


# What aideals reads of a Table Schema (schema_sql compiles it). Anything else is refused by name rather
# than ignored, since ignoring it would check the data against another schema than the one written.
TYPES = ("string", "number", "integer", "date", "boolean")
FORMATS = {"string": ("default", "uri")}
UNSUPPORTED_FIELD_KEYS = ("decimalChar", "groupChar", "bareNumber", "trueValues", "falseValues")
DIALECT_DEFAULTS = {"delimiter": ",", "quoteChar": '"', "doubleQuote": True, "header": True, "headerRows": [1],
                    "lineTerminator": "\r\n", "skipInitialSpace": False, "caseSensitiveHeader": False, "csvddfVersion": 1.2}


def check_schema(schema: dict, label: str) -> None:
    """Refuse what aideals cannot check as written: PackageError naming `label`, the field and the
    keyword (a type or format it does not read, a constraint of the wrong kind, a pattern that is
    not a regular expression, a key naming no field)."""
    import re

    fields = schema.get("fields")
    if not isinstance(fields, list) or not all(isinstance(f, dict) and isinstance(f.get("name"), str) for f in fields):
        raise PackageError(f"{label}: fields: must be a list of objects with a name")
    names = [f["name"] for f in fields]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise PackageError(f"{label}: fields: {', '.join(map(repr, twice))} named twice")
    for f in fields:
        where = f"{label}: field {f['name']!r}"
        kind = f.get("type", "string")
        if kind not in TYPES:
            raise PackageError(f"{where}: type {kind!r} is not one aideals checks ({', '.join(TYPES)})")
        fmt = f.get("format", "default")
        if fmt not in FORMATS.get(kind, ("default",)):
            raise PackageError(f"{where}: format {fmt!r} of a {kind} is not one aideals reads "
                               f"({', '.join(FORMATS.get(kind, ('default',)))})")
        for key in UNSUPPORTED_FIELD_KEYS:
            if key in f:
                raise PackageError(f"{where}: {key} is not supported (aideals reads numbers and booleans as written)")
        cons = f.get("constraints", {})
        if not isinstance(cons, dict):
            raise PackageError(f"{where}: constraints: must be an object")
        if "enum" in cons and not isinstance(cons["enum"], list):
            raise PackageError(f"{where}: constraints.enum: must be a list of values")
        if "pattern" in cons:
            try:
                re.compile(str(cons["pattern"]))
                re.compile("^" + str(cons["pattern"]) + "$")  # what frictionless compiles: `(?i)` then fails
            except re.error as exc:
                raise PackageError(f"{where}: constraints.pattern: not a regular expression ({exc})") from None
            from aideals.schema_sql import anchored, regex_problem

            problem = regex_problem(anchored(str(cons["pattern"])))
            if problem is not None:
                raise PackageError(f"{where}: constraints.pattern: a regular expression aideals cannot run "
                                   f"(DuckDB's RE2 has no lookaround or backreferences): {problem}")
        for key in ("minLength", "maxLength"):
            if key in cons and (kind != "string" or not isinstance(cons[key], int) or isinstance(cons[key], bool)):
                raise PackageError(f"{where}: constraints.{key}: a whole number, for a string field")
        for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
            if key not in cons:
                continue
            value = cons[key]
            ok = (kind in ("number", "integer") and isinstance(value, int | float) and not isinstance(value, bool)) or (
                kind == "date" and isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) is not None)
            if not ok:
                raise PackageError(f"{where}: constraints.{key}: {value!r} is not a bound for a {kind} field")
    pk = schema.get("primaryKey") or []
    for name in [pk] if isinstance(pk, str) else pk:
        if name not in names:
            raise PackageError(f"{label}: primaryKey: {name!r} is not a field")
    for fk in schema.get("foreignKeys") or []:
        local = fk.get("fields") if isinstance(fk, dict) else None
        for name in [local] if isinstance(local, str) else (local or [None]):
            if name not in names:
                raise PackageError(f"{label}: foreignKeys: {name!r} is not a field")


def check_resource(res: dict, label: str) -> None:
    """Refuse a resource that is not a UTF-8, RFC 4180 CSV file with one header row."""
    fmt = res.get("format", "csv")
    if str(fmt).lower() != "csv":
        raise PackageError(f"{label}: format {fmt!r}: aideals reads CSV files only")
    encoding = str(res.get("encoding", "utf-8")).lower().replace("_", "-")
    if encoding not in ("utf-8", "utf8", "utf-8-sig"):
        raise PackageError(f"{label}: encoding {res.get('encoding')!r}: aideals reads UTF-8 only")
    dialect = res.get("dialect", {})
    if not isinstance(dialect, dict):
        raise PackageError(f"{label}: dialect: must be an object")
    for key, value in dialect.items():
        if key in DIALECT_DEFAULTS and value != DIALECT_DEFAULTS[key] and not (key == "lineTerminator" and value == "\n"):
            raise PackageError(f"{label}: dialect.{key} {value!r}: aideals reads RFC 4180 CSV "
                               "(comma, double quote, one header row)")


def load(root: Path) -> Package:
    """Read datapackage.json under `root` and the Table Schema of each resource."""
    root = root.resolve()
    try:
        str(root).encode("utf-8")
    except UnicodeEncodeError:  # bytes that are no UTF-8 in a folder's name (os.fsdecode's surrogates)
        shown = os.fsencode(root).decode("utf-8", "backslashreplace")  # the bytes as \\xff
        raise PackageError(f"{shown}: the package's path is not valid UTF-8, which DuckDB cannot open: "
                           "rename or move the folder") from None
    descriptor = _read_json(root / DESCRIPTOR, DESCRIPTOR)
    raw = descriptor.get("resources")
    if not isinstance(raw, list) or not raw:
        raise PackageError(f"{DESCRIPTOR}: resources: must be a non-empty list")
    resources: dict[str, Resource] = {}
    for i, res in enumerate(raw):
        label = f"{DESCRIPTOR}: resources[{i}]"
        if not isinstance(res, dict) or not isinstance(res.get("name"), str):
            raise PackageError(f"{label}: must be an object with a name")
        name = res["name"]
        if name in resources:
            raise PackageError(f"{label}: name {name!r} is used by another resource")
        path = safe_relpath(root, res.get("path"), f"{label} ({name})")
        check_resource(res, f"{label} ({name})")
        schema = res.get("schema")
        schema_rel = None
        if isinstance(schema, str):
            schema_rel = schema
            schema_path = safe_relpath(root, schema, f"{label} ({name}): schema")
            if not schema_path.is_file():
                kind = not_a_file(schema_path)
                raise PackageError(f"{label} ({name}): schema {schema!r}: {f'{kind}, not a file' if kind else 'file not found'}")
            schema = _read_json(schema_path, schema)
        if not isinstance(schema, dict):
            raise PackageError(f"{label} ({name}): schema: missing or not a Table Schema")
        check_schema(schema, schema_rel or f"{label} ({name}): schema")
        resources[name] = Resource(name, path, res["path"], schema, schema_rel, res)
    # An aideals package has all four tables (the cross-table checks read them); a package of
    # other tables (none of these names) is checked against its Table Schemas alone.
    missing = [n for n in RESOURCE_NAMES if n not in resources]
    if missing and len(missing) < len(RESOURCE_NAMES):
        raise PackageError(
            f"{DESCRIPTOR}: resources: no resource named {', '.join(map(repr, missing))} "
            f"(an aideals package has {', '.join(RESOURCE_NAMES)})"
        )
    return Package(root, descriptor, resources)
