"""Loading a data package into DuckDB: typed tables with primary keys, and the release views."""

from __future__ import annotations

import os
import re
from importlib import resources as importlib_resources
from pathlib import Path
from typing import TYPE_CHECKING

from aideals.package import RESOURCE_NAMES, Package

if TYPE_CHECKING:
    import duckdb

# Table Schema type -> DuckDB type.
DUCKDB_TYPES = {
    "string": "VARCHAR",
    "number": "DOUBLE",
    "integer": "BIGINT",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "datetime": "TIMESTAMP",
    "time": "TIME",
    "year": "INTEGER",
}

# One row per metric result (schemas/metric-result.schema.json), plus the plugin that computed it.
# qualifier reads like figures.qualifier (up_to / at_least / range ...).
METRICS_DDL = """
CREATE TABLE IF NOT EXISTS metrics (
    metric VARCHAR NOT NULL,
    subject_type VARCHAR NOT NULL,
    subject_id VARCHAR NOT NULL,
    value DOUBLE,
    value_high DOUBLE,
    unit VARCHAR,
    figure_ids VARCHAR[] NOT NULL,
    note VARCHAR,
    qualifier VARCHAR,
    plugin VARCHAR
)
"""



DEFAULT_MEMORY_LIMIT = "1GB"
MIN_MEMORY_LIMIT = 128_000_000  # below this a build of the repository's package runs out of memory
MAX_MEMORY_LIMIT = 10**15  # 1000TB: DuckDB refuses much larger values with a parser error
MAX_THREADS = 256


def resource_config(temp_directory: str | Path) -> dict[str, object]:
    """DuckDB settings that bound memory: AIDEALS_MEMORY_LIMIT (default 1GB), a directory to spill
    to, and AIDEALS_THREADS when set (default: all cores). Validate and build use the same."""
    from aideals.errors import AidealsError

    memory = os.environ.get("AIDEALS_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT).strip()
    m = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)", memory, re.IGNORECASE)
    if not m:
        raise AidealsError(f"AIDEALS_MEMORY_LIMIT={memory!r}: not a size such as 1GB, 512MB or 1.5GiB")
    unit = m.group(2).upper()
    size = float(m.group(1)) * (1024 if "I" in unit else 1000) ** "BKMGT".index(unit[0])
    if size < MIN_MEMORY_LIMIT:
        raise AidealsError(f"AIDEALS_MEMORY_LIMIT={memory!r}: too small (at least 128MB)")
    if size > MAX_MEMORY_LIMIT:
        raise AidealsError(f"AIDEALS_MEMORY_LIMIT={memory!r}: too large (at most 1000TB)")
    config: dict[str, object] = {"memory_limit": memory, "temp_directory": str(temp_directory)}
    threads = os.environ.get("AIDEALS_THREADS", "").strip()
    if threads:
        # [0-9], not isdigit(): "²" is a digit to Python but no number of threads
        if not re.fullmatch(r"[0-9]{1,4}", threads) or not 1 <= int(threads) <= MAX_THREADS:
            raise AidealsError(f"AIDEALS_THREADS={threads!r}: not a number of threads (1 to {MAX_THREADS})")
        config["threads"] = int(threads)
    return config


# Settings, given when a database file is opened (before DuckDB reads it), that keep a connection
# inside that file: no file, URL or other database read (read_text, ATTACH ...), no extension
# installed (downloaded) or loaded, which DuckDB would otherwise do for a SQLite file or an `md:`
# name; connect(lock=True) then locks the configuration, so that no setting is changed back.
SANDBOX_CONFIG: dict[str, object] = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}
DUCKDB_MAGIC = b"DUCK"  # bytes 8 to 11 of a DuckDB database file (after the header's checksum)


def connect(database: str = ":memory:", *, read_only: bool = False, config: dict[str, object] | None = None,
            lock: bool = False) -> duckdb.DuckDBPyConnection:
    """duckdb.connect with DuckDB's progress bar off: past 2 s a query prints it on standard
    output, into the JSON of `validate --json` or the result of `query`. It is a setting of the
    connection (not one `config` can give), so `lock` (lock_configuration) is set after it."""
    import duckdb

    con = duckdb.connect(database, read_only=read_only, config=dict(config or {}))
    con.execute("SET enable_progress_bar = false")
    if lock:
        con.execute("SET lock_configuration = true")
    return con


def connect_readonly(path: str | Path, limits: dict[str, object] | None = None) -> duckdb.DuckDBPyConnection:
    """Open the DuckDB database file `path` read-only and sandboxed (SANDBOX_CONFIG): its views can
    read its own tables and nothing else. `limits`: DuckDB settings bounding memory, with the
    directory to spill to (resource_config), fixed before the lock. `query --db`, `report --db`
    and `metrics --database` open a user's file this way; a file that is not a DuckDB database (a
    SQLite file, a CSV) is refused before DuckDB sees it, in one line (AidealsError)."""
    import duckdb

    from aideals.errors import AidealsError, one_line

    not_one = f"{path}: not a DuckDB database (a release's aideals.duckdb, as `aideals build` writes, is one)"
    if os.path.exists(path) and not os.path.isfile(path):  # a FIFO would block the read, and DuckDB
        raise AidealsError(not_one)
    with open(path, "rb") as fh:
        head = fh.read(12)
    if head[8:12] != DUCKDB_MAGIC:
        raise AidealsError(not_one)
    try:
        # an absolute path: DuckDB reads a name such as `md:x` or `sqlite:x` as another database's.
        # The sandbox first: DuckDB takes a temp_directory given after enable_external_access=false
        # (the directory to spill to, ours), and refuses one given before it.
        return connect(os.path.abspath(path), read_only=True, config={**SANDBOX_CONFIG, **(limits or {})}, lock=True)
    except duckdb.Error as exc:
        raise AidealsError(f"{path}: cannot open as a DuckDB database: {one_line(exc)}") from None


def quote_ident(name: str) -> str:
    """Quote an identifier for DuckDB SQL."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    """Quote a string literal for DuckDB SQL (where a statement takes no parameters, as ATTACH)."""
    return "'" + text.replace("'", "''") + "'"


def column_types(schema: dict) -> dict[str, str]:
    """Column name -> DuckDB type, in the Table Schema's order."""
    return {f["name"]: DUCKDB_TYPES.get(f.get("type", "string"), "VARCHAR") for f in schema["fields"]}


def table_ddl(schema: dict) -> str:
    """The column definitions of a table for `schema`: its typed fields and its primary key."""
    cols = [f"{quote_ident(c)} {t}" for c, t in column_types(schema).items()]
    pk = schema.get("primaryKey")
    if pk:
        pk = [pk] if isinstance(pk, str) else pk
        cols.append("PRIMARY KEY (" + ", ".join(quote_ident(c) for c in pk) + ")")
    return ", ".join(cols)


def create_table(con: duckdb.DuckDBPyConnection, pkg: Package, name: str) -> None:
    """Create table `name` with its types and primary key, and load its CSV file into it."""
    res = pkg.resource(name)
    types = column_types(res.schema)
    con.execute(f"CREATE TABLE {quote_ident(name)} ({table_ddl(res.schema)})")
    columns_struct = "{" + ", ".join(f"'{c.replace(chr(39), chr(39) * 2)}': '{t}'" for c, t in types.items()) + "}"
    con.execute(
        f"INSERT INTO {quote_ident(name)} SELECT * FROM read_csv(?, header = true, columns = {columns_struct}, "
        "nullstr = '', quote = '\"', escape = '\"', delim = ',', auto_detect = false)",
        [str(res.path)],
    )


def copy_table(con: duckdb.DuckDBPyConnection, pkg: Package, name: str, database: str) -> None:
    """Create table `name` with its types and primary key in the attached `database`, and fill
    it, in order, from the relation `name` of `con` (the typed view of a validation)."""
    schema = pkg.resource(name).schema
    target = f"{quote_ident(database)}.{quote_ident(name)}"
    con.execute(f"CREATE TABLE {target} ({table_ddl(schema)})")
    columns = ", ".join(quote_ident(c) for c in column_types(schema))
    con.execute(f"INSERT INTO {target} SELECT {columns} FROM {quote_ident(name)}")


def write_tables(con: duckdb.DuckDBPyConnection, pkg: Package, path: Path, storage_version: str) -> None:
    """Write the four typed tables of a validated package, held by the validation's connection
    `con`, into a new DuckDB database file at `path` (in DuckDB's `storage_version` format)."""
    literal = quote_literal(str(path))  # ATTACH takes no parameters; the path is ours
    con.execute("SET storage_compatibility_version = ?", [storage_version])
    con.execute(f"ATTACH {literal} AS aideals_release")
    try:
        for name in RESOURCE_NAMES:
            copy_table(con, pkg, name, "aideals_release")
    finally:
        con.execute("DETACH aideals_release")


def views_sql() -> str:
    """The SQL that creates the release views (src/aideals/sql/views.sql)."""
    return importlib_resources.files("aideals").joinpath("sql/views.sql").read_text(encoding="utf-8")


def create_views(con: duckdb.DuckDBPyConnection) -> None:
    """Create the release views (src/aideals/sql/views.sql) and the metrics table."""
    con.execute(views_sql())
    con.execute(METRICS_DDL)


def load(con: duckdb.DuckDBPyConnection, pkg: Package) -> None:
    """Load the four tables of a (validated) package and create the views, in `con`."""
    for name in RESOURCE_NAMES:
        create_table(con, pkg, name)
    create_views(con)


def connect_memory(pkg: Package) -> duckdb.DuckDBPyConnection:
    """An in-memory database holding the package's tables and views."""

    con = connect(":memory:")
    load(con, pkg)
    return con
