"""Keeping the release metadata in step: datapackage.json, CITATION.cff, .zenodo.json and, in the
repository of the toolkit itself, the toolkit's version (src/aideals/__init__.py).

datapackage.json and CITATION.cff are edited in place (only the version and date lines change,
so their layout and comments stay as people wrote them); .zenodo.json is generated from
CITATION.cff, so that an archive deposit carries the same title, authors, version and licence.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from aideals.errors import AidealsError

DESCRIPTOR = "datapackage.json"
CITATION = "CITATION.cff"
ZENODO = ".zenodo.json"
# The toolkit lives in the same repository as the data: a release versions both.
TOOLKIT_INIT = "src/aideals/__init__.py"


@dataclass(frozen=True)
class FileUpdate:
    """The new text of one metadata file (unchanged files are still listed, with changed=False)."""

    relpath: str
    old: str
    new: str

    @property
    def changed(self) -> bool:
        return self.old != self.new


def _replace_once(text: str, pattern: str, replacement: str, label: str) -> str:
    new, n = re.subn(pattern, replacement, text, count=1, flags=re.MULTILINE)
    if n != 1:
        raise AidealsError(f"{label}: cannot find where to set it (expected a line matching {pattern!r})")
    return new


def set_descriptor_release(text: str, version: str, day: date) -> str:
    """datapackage.json text with top-level `version` and `created` set; everything else byte for byte."""
    created = f"{day.isoformat()}T00:00:00Z"
    data = json.loads(text)
    new = text
    for key, value in (("version", version), ("created", created)):
        if key in data:
            new = _replace_once(new, rf'^(\s*"{key}"\s*:\s*)"[^"\n]*"', rf'\g<1>"{value}"', f"{DESCRIPTOR}: {key}")
        else:
            new = _replace_once(new, r'^(\s*)("name"\s*:\s*"[^"\n]*",)', rf'\1\2\n\1"{key}": "{value}",', f"{DESCRIPTOR}: {key}")
    after = json.loads(new)
    expected = dict(data, version=version, created=created)
    if after != expected:
        raise AidealsError(f"{DESCRIPTOR}: setting version and created changed other fields; edit it by hand")
    return new


def set_citation_release(text: str, version: str, day: date) -> str:
    """CITATION.cff text with `version` and `date-released` set."""
    import yaml

    new = _replace_once(text, r"^version:.*$", f'version: "{version}"', f"{CITATION}: version")
    new = _replace_once(new, r"^date-released:.*$", f'date-released: "{day.isoformat()}"', f"{CITATION}: date-released")
    data = yaml.safe_load(new)
    if str(data.get("version")) != version or str(data.get("date-released")) != day.isoformat():
        raise AidealsError(f"{CITATION}: version and date-released could not be set; edit it by hand")
    return new


def set_toolkit_version(text: str, version: str) -> str:
    """src/aideals/__init__.py text with `__version__` set."""
    return _replace_once(text, r'^__version__ = "[^"\n]*"$', f'__version__ = "{version}"', f"{TOOLKIT_INIT}: __version__")


def zenodo_metadata(cff_text: str) -> dict:
    """Zenodo deposit metadata (.zenodo.json) equivalent to a CITATION.cff."""
    import yaml

    cff = yaml.safe_load(cff_text) or {}
    creators = []
    for author in cff.get("authors", []):
        if author.get("family-names"):
            name = author["family-names"] + (f", {author['given-names']}" if author.get("given-names") else "")
        else:
            name = author.get("name", "")
        creator = {"name": name}
        if author.get("orcid"):
            creator["orcid"] = str(author["orcid"]).rsplit("/", 1)[-1]
        if author.get("affiliation"):
            creator["affiliation"] = author["affiliation"]
        creators.append(creator)
    meta: dict = {
        "upload_type": "dataset",
        "title": cff.get("title"),
        "creators": creators,
        "version": str(cff.get("version")),
        "publication_date": str(cff.get("date-released")),
        "access_right": "open",
    }
    if cff.get("abstract"):
        meta["description"] = " ".join(str(cff["abstract"]).split())
    if cff.get("license"):
        meta["license"] = str(cff["license"]).lower()
    if cff.get("keywords"):
        meta["keywords"] = [str(k) for k in cff["keywords"]]
    for key in ("repository-code", "url"):
        if cff.get(key):
            meta["related_identifiers"] = [{"identifier": cff[key], "relation": "isSupplementTo", "scheme": "url"}]
            break
    return meta


def zenodo_text(cff_text: str) -> str:
    """The .zenodo.json file for a CITATION.cff text."""
    return json.dumps(zenodo_metadata(cff_text), ensure_ascii=False, indent=2) + "\n"


def release_updates(root: Path, version: str, day: date) -> list[FileUpdate]:
    """The new texts of datapackage.json, CITATION.cff and .zenodo.json for release `version` on `day`,
    and of src/aideals/__init__.py when the package's repository holds the toolkit's source."""
    from aideals.package import read_text

    def read(relpath: str) -> str:
        path = root / relpath
        if not path.is_file():
            if relpath == ZENODO:
                return ""
            raise AidealsError(f"{relpath}: file not found (a release sets its version and date)")
        return read_text(path, relpath)

    descriptor, citation, zenodo = read(DESCRIPTOR), read(CITATION), read(ZENODO)
    new_citation = set_citation_release(citation, version, day)
    updates = [
        FileUpdate(DESCRIPTOR, descriptor, set_descriptor_release(descriptor, version, day)),
        FileUpdate(CITATION, citation, new_citation),
        FileUpdate(ZENODO, zenodo, zenodo_text(new_citation)),
    ]
    if (root / TOOLKIT_INIT).is_file():
        toolkit = read(TOOLKIT_INIT)
        updates.append(FileUpdate(TOOLKIT_INIT, toolkit, set_toolkit_version(toolkit, version)))
    return updates
