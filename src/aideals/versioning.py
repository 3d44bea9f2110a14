"""Semantic versions, release tags and the CHANGELOG's release sections.

Versions follow Semantic Versioning 2.0.0 and the Data Package versioning recipe: MAJOR when a
schema changes incompatibly, MINOR when rows are added, PATCH when values are corrected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from aideals.errors import AidealsError

# The grammar of semver.org, section "Is there a suggested regular expression".
SEMVER_RE = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?\Z",
    re.ASCII,  # \d is 0-9 only: "1٠.0.0" is not 10.0.0
)
TAG_PREFIX = "v"
# A release's version names its files (dist/X.Y.Z/aideals-X.Y.Z.duckdb) and its git tag, and a file
# name has at most 255 bytes: a longer version could not be released (nor its numbers be read,
# Python reading at most 4,300 digits).
MAX_VERSION_LENGTH = 200


def _shown(text: str) -> str:
    """`text` quoted for an error line, its start only when it is long."""
    return repr(text) if len(text) <= 60 else f"{text[:40]!r}… ({len(text):,} characters)"


@dataclass(frozen=True)
class Version:
    """A semantic version; ordering follows semver precedence (build metadata is ignored)."""

    major: int
    minor: int
    patch: int
    prerelease: tuple[str, ...] = ()
    build: str = ""

    @classmethod
    def parse(cls, text: str) -> Version:
        """Parse `X.Y.Z[-pre][+build]`; raise AidealsError for anything else (a leading `v` included)."""
        m = SEMVER_RE.match(text)
        if not m:
            raise AidealsError(f"{_shown(text)} is not a semantic version (expected X.Y.Z, e.g. 0.2.0)")
        if len(text) > MAX_VERSION_LENGTH:
            raise AidealsError(f"{_shown(text)}: too long for a version (at most {MAX_VERSION_LENGTH} characters: "
                               "it names the release's files and git tag)")
        pre = tuple(m.group(4).split(".")) if m.group(4) else ()
        return cls(int(m.group(1)), int(m.group(2)), int(m.group(3)), pre, m.group(5) or "")

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}.{self.patch}"
        if self.prerelease:
            text += "-" + ".".join(self.prerelease)
        if self.build:
            text += "+" + self.build
        return text

    @property
    def tag(self) -> str:
        """The git tag of this version, e.g. `v0.1.0`."""
        return f"{TAG_PREFIX}{self}"

    def _key(self) -> tuple:
        # A version without pre-release ranks above any of its pre-releases; numeric identifiers
        # rank below alphanumeric ones and compare as numbers.
        pre = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in self.prerelease)
        return (self.major, self.minor, self.patch, 0 if self.prerelease else 1, pre)

    def __lt__(self, other: Version) -> bool:
        return self._key() < other._key()

    def __le__(self, other: Version) -> bool:
        return self._key() <= other._key()

    def __gt__(self, other: Version) -> bool:
        return self._key() > other._key()

    def __ge__(self, other: Version) -> bool:
        return self._key() >= other._key()

    def same_precedence(self, other: Version) -> bool:
        """True when the two versions have equal precedence (they differ at most in build metadata)."""
        return self._key() == other._key()

    def is_major_bump_from(self, previous: Version) -> bool:
        """True when this version increments MAJOR over `previous` (what an incompatible change needs)."""
        return self.major > previous.major


def versions_from_tags(tags: list[str]) -> list[Version]:
    """The release versions among git tag names (`vX.Y.Z`), sorted by precedence; other tags are ignored."""
    found = []
    for tag in tags:
        if tag.startswith(TAG_PREFIX) and SEMVER_RE.match(tag[len(TAG_PREFIX) :]) and len(tag) <= MAX_VERSION_LENGTH + 1:
            found.append(Version.parse(tag[len(TAG_PREFIX) :]))
    return sorted(found, key=lambda v: v._key())


def changelog_release_date(text: str, version: Version | str) -> date | None:
    """The date of the `## [X.Y.Z] - YYYY-MM-DD` section of a Keep a Changelog text, or None if absent.

    A section with the version but a missing or impossible date raises AidealsError, so that the
    message can say what to fix.
    """
    wanted = str(version)
    heading = re.compile(r"^##\s+\[(?P<version>[^\]]+)\](?P<rest>.*)$")
    for lineno, line in enumerate(text.splitlines(), start=1):
        m = heading.match(line.rstrip())
        if not m or m.group("version") != wanted:
            continue
        dm = re.fullmatch(r"\s+-\s+(\d{4}-\d{2}-\d{2})(\s.*)?", m.group("rest"))
        if not dm:
            raise AidealsError(
                f"CHANGELOG.md:{lineno}: the section of {wanted} needs a date: `## [{wanted}] - YYYY-MM-DD`"
            )
        try:
            return date.fromisoformat(dm.group(1))
        except ValueError:
            raise AidealsError(f"CHANGELOG.md:{lineno}: {dm.group(1)} is not a valid date") from None
    return None


@dataclass(frozen=True)
class ReleaseComparison:
    """How the package at a root compares with the release its descriptor names."""

    version: str  # the descriptor's version
    tag: str | None  # vX.Y.Z of that version, None when it is not X.Y.Z
    changed: list[str]  # files that differ from the tag (empty when none, or when not compared)
    # In a git work tree with no release tag at all (a clone made without tags): the changes could
    # not be looked for, and `git fetch --tags` would let them be. A work tree with other release
    # tags but not this one (a version never tagged, a package inside another project's
    # repository) is not such a clone: fetching would not help, and nothing is said. Nor is it
    # said for a package below the work tree's top (a fixture, an unzipped release): its
    # releases are not the repository's tags.
    tags_missing: bool = False

    @property
    def shown(self) -> str:
        """What a build, report or citation calls the version: X.Y.Z, or X.Y.Z+unreleased."""
        return f"{self.version}+unreleased" if self.changed else self.version

    def warning(self) -> str | None:
        """The one-line warning (without the `aideals: warning: ` prefix) when the tags are missing."""
        if not self.tags_missing:
            return None
        return (f"this git repository has no release tags (a clone made without tags?), so changes since release "
                f"{self.version} (tag {self.tag}) cannot be detected and the version is shown as {self.version}; "
                "run `git fetch --tags`")


FETCH_TAGS_HINT = " (this clone has no release tags: run `git fetch --tags`)"


def clone_without_release_tags(root: Path, top: Path, tags: list[str]) -> bool:
    """Whether the package at `root` is that of a work tree (at its top `top`, whose tag names are
    `tags`) cloned without its release tags. Only the work tree's own package is released by its
    tags: a package in a subdirectory (a test fixture, an unzipped release, another project's
    data) is not, and a work tree with other release tags was not cloned without them."""
    return root.resolve() == top.resolve() and not versions_from_tags(tags)


def fetch_tags_hint(root: Path, top: Path) -> str:
    """For a release looked for by its tag and not found: in a clone made without tags, the advice
    to fetch them (FETCH_TAGS_HINT); else ''."""
    from aideals import gitrepo

    return FETCH_TAGS_HINT if clone_without_release_tags(root, top, gitrepo.tags(top)) else ""


def compare_with_release(root: Path, descriptor: dict) -> ReleaseComparison:
    """Compare the package at `root` with the release its descriptor names: datapackage.json and
    each resource's data and schema file, by git against tag v<version>. Nothing is compared
    outside a git work tree, without git, or for a version that is not X.Y.Z; for the package at
    the top of a work tree without any release tag (a clone made with --no-tags, a shallow CI
    checkout) `tags_missing` says so."""
    from aideals import gitrepo

    version = str(descriptor.get("version", ""))
    if not SEMVER_RE.match(version) or len(version) > MAX_VERSION_LENGTH:
        return ReleaseComparison(version, None, [])
    tag = Version.parse(version).tag
    try:
        top = gitrepo.toplevel(root)
    except gitrepo.GitMissing:  # no git, no tag to compare with: the version is shown as it is
        return ReleaseComparison(version, tag, [])
    if top is None:
        return ReleaseComparison(version, tag, [])
    tags = gitrepo.tags(top)
    if tag not in tags:
        return ReleaseComparison(version, tag, [], tags_missing=clone_without_release_tags(root, top, tags))
    paths = {"datapackage.json"}
    for res in descriptor.get("resources", []):
        if isinstance(res, dict):
            paths.update(res[key] for key in ("path", "schema") if isinstance(res.get(key), str))
    out = gitrepo.run(root, "diff", "--name-only", "--relative", tag, "--", *sorted(paths))
    return ReleaseComparison(version, tag, out.decode("utf-8", "replace").splitlines())


def unreleased_changes(root: Path, descriptor: dict) -> tuple[str, list[str]] | None:
    """(tag, changed files) when the package at `root` differs from the release its descriptor
    names (`compare_with_release`). None when nothing changed, or when it cannot be told (not in
    a git work tree, no such tag, a version that is not X.Y.Z)."""
    found = compare_with_release(root, descriptor)
    return (found.tag, found.changed) if found.tag and found.changed else None


def shown_version(root: Path, descriptor: dict) -> tuple[str, list[str]]:
    """(version, changed files): what a build, report or citation of the package at `root` calls
    its version. The descriptor's version, or `X.Y.Z+unreleased` with the files that changed when
    the package differs from release X.Y.Z (`unreleased_changes`): it is then not that release."""
    found = compare_with_release(root, descriptor)
    return found.shown, found.changed
