"""Small data packages for tests: the repository's descriptor and schemas with fixture CSVs."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import FIXTURES, ROOT


def make_package(dest: Path, csv_dir: Path = FIXTURES / "small") -> Path:
    """Write a package at `dest`: datapackage.json and schemas/ of the repository, data/ from `csv_dir`."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ROOT / "datapackage.json", dest / "datapackage.json")
    shutil.copytree(ROOT / "schemas", dest / "schemas")
    shutil.copytree(csv_dir, dest / "data")
    return dest
