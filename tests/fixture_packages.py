"""Small data packages for tests: the repository's descriptor and schemas with fixture CSVs."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from pathlib import Path

from conftest import FIXTURES, ROOT


def make_package(dest: Path, csv_dir: Path = FIXTURES / "small") -> Path:
    """Write a package at `dest`: datapackage.json and schemas/ of the repository, data/ from `csv_dir`."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ROOT / "datapackage.json", dest / "datapackage.json")
    shutil.copytree(ROOT / "schemas", dest / "schemas")
    shutil.copytree(csv_dir, dest / "data")
    return dest


@contextlib.contextmanager
def connect_with(tmp_path: Path, figures: str = "", deals: str = "") -> Iterator:
    """A connection to the small fixture package with extra CSV rows appended to its tables."""
    from aideals import db, package

    root = make_package(tmp_path / "pkg")
    for table, extra in (("deals", deals), ("figures", figures)):
        with open(root / "data" / f"{table}.csv", "a", encoding="utf-8", newline="") as fh:
            fh.write(extra)
    con = db.connect_memory(package.load(root))
    try:
        yield con
    finally:
        con.close()

