"""`aideals cite`: how to cite a release of the package, or one number of it with its source.

Everything comes from the package itself: title, authors (`contributors`), version, date
(`created`), licence and, when the descriptor has one (`repository` or `homepage`), its URL.
Nothing is made up: a field the package does not state is left out of every format.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation

from aideals.errors import AidealsError
from aideals.snapshot import Snapshot

FORMATS = ("apa", "bibtex", "cff", "csl-json")
AUTHOR_ROLES = {"author", "creator"}
UNITS = {"percent": "%", "USD_per_GW": "USD per GW"}
QUALIFIERS = {
    "exact": "",
    "approximately": "approximately ",
    "up_to": "up to ",
    "at_least": "at least ",
    "more_than": "more than ",
    "estimate": "an estimated ",
}
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
BIBTEX_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
# Source kinds (sources.kind) -> CSL item types, CFF reference types.
CSL_TYPES = {"news": "article-newspaper", "press_release": "webpage", "filing": "report",
             "podcast": "broadcast", "blog": "post-weblog", "dataset": "dataset"}
CFF_TYPES = {"news": "newspaper-article", "press_release": "website", "filing": "report",
             "podcast": "sound-recording", "blog": "blog", "dataset": "data"}


@dataclass(frozen=True)
class Author:
    """A person (family and given names) or an organisation or group (literal name)."""

    literal: str | None = None
    family: str | None = None
    given: str | None = None

    @property
    def display(self) -> str:
        if self.literal:
            return self.literal
        return ", ".join(p for p in (self.family, self.given) if p)


@dataclass(frozen=True)
class ReleaseCitation:
    """What a citation of one release says."""

    name: str
    title: str
    authors: list[Author]
    version: str
    date: str  # YYYY-MM-DD
    licence: str | None
    url: str | None
    abstract: str | None = None
    keywords: list[str] = field(default_factory=list)

    @property
    def year(self) -> str:
        return self.date[:4]

    @property
    def key(self) -> str:
        return f"{self.name}-{self.version}"


@dataclass(frozen=True)
class SourceCitation:
    """The original source a figure was read in (a row of sources.csv)."""

    source_id: str
    title: str
    publisher: str
    author: str | None
    published: str | None
    precision: str | None
    url: str | None
    language: str | None
    kind: str | None
    retrieved: str | None


@dataclass(frozen=True)
class FigureCitation:
    """One number of a release, with what it measures and the source that states it."""

    figure_id: str
    subject: str  # what the number is about, in words
    statement: str  # value with qualifier and unit, e.g. "up to 100,000,000,000 USD"
    value: str
    value_high: str | None
    unit: str
    qualifier: str
    quote: str
    release: ReleaseCitation
    source: SourceCitation
    deal_status: str | None = None  # the status of the figure's deal in the release
    note: str | None = None  # the figure's note (own words), when it has one
    deal_part_of: str | None = None  # the deal's part_of: for a superseded deal, the deal recording it again

    @property
    def key(self) -> str:
        return f"{self.release.key}-{self.figure_id}"

    @property
    def caveats(self) -> str:
        """What a reader of the number must know beside it: how far its deal went, unless signed or
        further, and the figure's note; '' when none."""
        parts = []
        if self.deal_status == "superseded" and self.deal_part_of:
            parts.append(f"Deal status: superseded ({STATUS_WORDS['superseded']}, {self.deal_part_of}).")
        elif self.deal_status in STATUS_WORDS:
            parts.append(f"Deal status: {self.deal_status} ({STATUS_WORDS[self.deal_status]}).")
        if self.note:
            parts.append(f"Note: {self.note.rstrip('.')}.")
        return " ".join(parts)


# The stages of a deal a citation names beside its number (README, "The resources").
STATUS_WORDS = {
    "rumoured": "reported by the press, not confirmed by any party",
    "announced": "stated by a party, no binding agreement yet",
    "cancelled": "called off, terminated or blocked",
    "superseded": "an earlier report of a transaction the release records again as another deal",
}


def _list(descriptor: dict, key: str) -> list:
    """descriptor[key] when it is a list; an absent or null key is an empty list."""
    value = descriptor.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise AidealsError(f"datapackage.json: {key}: must be a list, not {type(value).__name__}")
    return value


def _authors(descriptor: dict) -> list[Author]:
    contributors = [c for c in _list(descriptor, "contributors") if isinstance(c, dict)]
    chosen = [c for c in contributors if AUTHOR_ROLES & set(c.get("roles") or [])] or contributors
    authors = []
    for c in chosen:
        if c.get("familyName"):
            authors.append(Author(family=c["familyName"], given=c.get("givenName")))
        elif c.get("title"):
            authors.append(Author(literal=c["title"]))
    return authors


def _url(descriptor: dict) -> str | None:
    repo = descriptor.get("repository")
    if isinstance(repo, dict):
        repo = repo.get("url")
    for candidate in (repo, descriptor.get("homepage")):
        if isinstance(candidate, str) and candidate.strip():
            return candidate.strip()
    return None


def release_citation(descriptor: dict) -> ReleaseCitation:
    """The citation of the release a datapackage.json describes."""
    date = str(descriptor.get("created", ""))[:10]
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
        raise AidealsError("datapackage.json: created: needs the release date (YYYY-MM-DD...) to cite the release")
    version = str(descriptor.get("version") or "").strip()
    if not version:
        raise AidealsError("datapackage.json: version: needs the release's version (X.Y.Z) to cite the release")
    authors = _authors(descriptor)
    if not authors:
        raise AidealsError(
            "datapackage.json: contributors: needs at least one with a title or a familyName to cite the release"
        )
    licences = [lic for lic in _list(descriptor, "licenses") if isinstance(lic, dict)]
    licence = licences[0].get("name") or licences[0].get("title") if licences else None
    return ReleaseCitation(
        name=str(descriptor.get("name", "dataset")),
        title=str(descriptor.get("title") or descriptor.get("name", "")),
        authors=authors,
        version=version,
        date=date,
        licence=licence,
        url=_url(descriptor),
        abstract=descriptor.get("description"),
        keywords=[str(k) for k in _list(descriptor, "keywords")],
    )


def format_number(text: str) -> str:
    """`100000000000` -> `100,000,000,000`; decimals kept as written."""
    try:
        number = Decimal(text)
    except InvalidOperation:
        return text
    if number == number.to_integral_value() and "e" not in text.lower():
        return f"{int(number):,}"
    whole, _, frac = text.partition(".")
    return f"{int(whole):,}.{frac}" if whole.lstrip("-").isdigit() else text


def statement(value: str, value_high: str | None, unit: str, qualifier: str) -> str:
    """A figure in words: `up to 10%`, `between 50 and 60 USD per GW`, `38,000,000,000 USD`."""
    shown_unit = UNITS.get(unit, unit)
    sep = "" if unit == "percent" else " "
    if qualifier == "range" and value_high:
        return f"between {format_number(value)} and {format_number(value_high)}{sep}{shown_unit}"
    return f"{QUALIFIERS.get(qualifier, qualifier + ' ')}{format_number(value)}{sep}{shown_unit}"


def _find(snap: Snapshot, table: str, key: str, wanted: str) -> dict[str, str] | None:
    _, rows = snap.rows(table)
    return next((r for r in rows if r.get(key) == wanted), None)


def figure_citation(snap: Snapshot, figure_id: str, version: str | None = None) -> FigureCitation:
    """The citation of one figure of the package in `snap`, with its original source; `version`,
    when given, replaces the descriptor's version (e.g. `0.2.0+unreleased`)."""
    release = release_citation(snap.descriptor)
    release = release if version is None else replace(release, version=version)
    fig = _find(snap, "figures", "figure_id", figure_id)
    if fig is None:
        raise AidealsError(f"figures: figure_id: no figure {figure_id!r} in {release.name} {release.version}")
    src = _find(snap, "sources", "source_id", fig["source_id"])
    if src is None:
        raise AidealsError(f"figures: source_id: {figure_id}: source {fig['source_id']!r} is not in sources")
    _, party_rows = snap.rows("parties")
    names = {p["party_id"]: p["name"] for p in party_rows}
    about = []
    deal = None
    if fig.get("deal_id"):
        deal = _find(snap, "deals", "deal_id", fig["deal_id"])
        about.append(deal["title"] if deal else fig["deal_id"])
    elif fig.get("party_id"):
        about.append(names.get(fig["party_id"], fig["party_id"]))
    what = fig["measure"].replace("_", " ")
    if fig.get("from_party") and fig.get("to_party"):
        what += f", {names.get(fig['from_party'], fig['from_party'])} to {names.get(fig['to_party'], fig['to_party'])}"
    if fig.get("flow") and fig["flow"] != "none":
        what += f" ({fig['flow'].replace('_', ' ')})"
    # what part of the deal and which time the number is: a first tranche is not the whole deal,
    # and a revenue is that of a year
    if fig.get("component"):
        what += f", {fig['component'].replace('-', ' ')}"
    start, end = fig.get("period_start") or "", fig.get("period_end") or ""
    if start and end:
        what += f", {start} to {end}"
    elif start or end:
        what += f", from {start}" if start else f", until {end}"
    if fig.get("as_of"):
        what += f", as of {fig['as_of']}"
    subject = f"{about[0]}: {what}" if about else what
    return FigureCitation(
        figure_id=figure_id,
        subject=subject,
        statement=statement(fig["value"], fig.get("value_high") or None, fig["unit"], fig["qualifier"]),
        value=fig["value"],
        value_high=fig.get("value_high") or None,
        unit=fig["unit"],
        qualifier=fig["qualifier"],
        quote=fig["quote"],
        release=release,
        source=SourceCitation(
            source_id=src["source_id"],
            title=src["title"],
            publisher=src["publisher"],
            author=src.get("author") or None,
            published=src.get("published") or None,
            precision=src.get("published_precision") or None,
            url=src.get("url") or None,
            language=src.get("language") or None,
            kind=src.get("kind") or None,
            retrieved=src.get("retrieved") or None,
        ),
        deal_status=(deal or {}).get("status") or None,
        note=fig.get("note") or None,
        deal_part_of=(deal or {}).get("part_of") or None,
    )


# ---------------------------------------------------------------------------------------- APA


def _initials(given: str) -> str:
    """APA initials: one per given name, hyphens kept ("Mary Ann" -> "M. A.", "Jean-Paul" -> "J.-P.")."""
    return " ".join("-".join(f"{part[:1]}." for part in name.split("-") if part) for name in given.split())


def _sentence(text: str) -> str:
    """`text` ending with one full stop (none added after `.`, `?` or `!`)."""
    return text if text.endswith((".", "?", "!")) else text + "."


def _apa_names(authors: list[Author]) -> str:
    names = [a.display if a.literal else f"{a.family}, {_initials(a.given)}" if a.given else a.display for a in authors]
    if not names:
        return ""
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + ", & " + names[-1]


def _apa_date(published: str | None, precision: str | None) -> str:
    if not published:
        return "n.d."
    y, m, d = published[:4], int(published[5:7]), int(published[8:10])
    if precision == "year":
        return y
    if precision == "month":
        return f"{y}, {MONTHS[m - 1]}"
    if precision == "approximate":
        return f"ca. {y}, {MONTHS[m - 1]} {d}"
    return f"{y}, {MONTHS[m - 1]} {d}"


def apa_release(r: ReleaseCitation) -> str:
    """APA 7 reference of a data set: Author. (Year). Title (Version X) [Data set]. URL."""
    names = _apa_names(r.authors)
    text = f"{_sentence(names)} ({r.year}). {r.title} (Version {r.version}) [Data set]."
    if r.url:
        text += f" {r.url}"
    if r.licence:
        text += f" Licence: {r.licence}."
    return text


def apa_source(s: SourceCitation) -> str:
    """APA 7 reference of the original source (a news article, a page, a filing ...)."""
    who = s.author or s.publisher
    text = f"{_sentence(who)} ({_apa_date(s.published, s.precision)}). {_sentence(s.title)}"
    if s.author:
        text += f" {_sentence(s.publisher)}"
    if s.url:
        text += f" {s.url}"
    return text


def apa_figure(f: FigureCitation) -> str:
    """The number, the release it is in, the original source and its exact words."""
    lines = [
        f"{f.statement[:1].upper()}{f.statement[1:]}: {f.subject}.",
        f"Figure {f.figure_id} in: {apa_release(f.release)}",
        f"Original source: {apa_source(f.source)}",
        f"Quote{f' ({f.source.language})' if f.source.language else ''}: \u201c{f.quote}\u201d",
    ]
    if f.source.retrieved:
        lines.append(f"Source read on {f.source.retrieved}.")
    if f.caveats:
        lines.append(f.caveats)
    return "\n".join(lines)


# ------------------------------------------------------------------------------------- BibTeX

_BIBTEX_SPECIALS = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def bibtex_escape(text: str) -> str:
    """Escape the characters BibTeX and LaTeX treat specially."""
    return "".join(_BIBTEX_SPECIALS.get(ch, ch) for ch in text)


def _bibtex_key(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9:_-]+", "_", text).replace(".", "_")


def _bibtex_authors(authors: list[Author]) -> str:
    # Double braces keep an organisation's name from being split into first and last names.
    return " and ".join(
        "{" + bibtex_escape(a.literal) + "}" if a.literal else bibtex_escape(f"{a.family}, {a.given or ''}".rstrip(", "))
        for a in authors
    )


def _bibtex_entry(kind: str, key: str, fields: list[tuple[str, str | None]]) -> str:
    body = ",\n".join(f"  {name} = {{{value}}}" if name != "month" else f"  {name} = {value}"
                      for name, value in fields if value)
    return f"@{kind}{{{_bibtex_key(key)},\n{body}\n}}"


def bibtex_release(r: ReleaseCitation) -> str:
    """A BibTeX @misc entry for the release (biblatex also reads `version`, `date`, `url`)."""
    return _bibtex_entry("misc", r.key, [
        ("author", _bibtex_authors(r.authors)),
        ("title", bibtex_escape(r.title)),
        ("year", r.year),
        ("date", r.date),
        ("version", bibtex_escape(r.version)),
        ("howpublished", "Data set, version " + bibtex_escape(r.version)),
        ("url", r.url),
        ("note", f"Licence: {bibtex_escape(r.licence)}" if r.licence else None),
    ])


def bibtex_source(s: SourceCitation) -> str:
    """A BibTeX @misc entry for the original source."""
    month = None
    if s.published and s.precision in ("day", "month", "approximate"):
        month = BIBTEX_MONTHS[int(s.published[5:7]) - 1]
    return _bibtex_entry("misc", s.source_id, [
        ("author", "{" + bibtex_escape(s.author or s.publisher) + "}"),
        ("title", bibtex_escape(s.title)),
        ("howpublished", bibtex_escape(s.publisher)),
        ("year", s.published[:4] if s.published else None),
        ("month", month),
        ("date", s.published if s.published and s.precision == "day" else None),
        ("url", s.url),
        ("urldate", s.retrieved),
        ("language", s.language),
        ("note", "Publication date approximate" if s.precision == "approximate" else None),
    ])


def bibtex_figure(f: FigureCitation) -> str:
    """Two entries: the figure in its release (crossref'd to its source) and the original source."""
    figure = _bibtex_entry("misc", f.key, [
        ("author", _bibtex_authors(f.release.authors)),
        ("title", bibtex_escape(f"{f.subject}: {f.statement}")),
        ("year", f.release.year),
        ("date", f.release.date),
        ("version", bibtex_escape(f.release.version)),
        ("howpublished", bibtex_escape(f"Figure {f.figure_id} in {f.release.title}, version {f.release.version}")),
        ("url", f.release.url),
        ("note", bibtex_escape(f"Original source: {f.source.source_id}. Quote: \u201c{f.quote}\u201d")
         + (f". Licence: {bibtex_escape(f.release.licence)}" if f.release.licence else "")
         + (f". {bibtex_escape(f.caveats)}" if f.caveats else "")),
    ])
    return figure + "\n\n" + bibtex_source(f.source)


# ----------------------------------------------------------------------------------- CSL-JSON


def _csl_names(authors: list[Author]) -> list[dict]:
    return [{"literal": a.literal} if a.literal else {k: v for k, v in (("family", a.family), ("given", a.given)) if v}
            for a in authors]


def _csl_date(iso: str, precision: str | None = "day") -> dict:
    parts = [int(iso[:4])]
    if precision in ("day", "month", "approximate"):
        parts.append(int(iso[5:7]))
    if precision in ("day", "approximate"):
        parts.append(int(iso[8:10]))
    out: dict = {"date-parts": [parts]}
    if precision == "approximate":
        out["circa"] = True
    return out


def csl_release_item(r: ReleaseCitation) -> dict:
    """The release as a CSL-JSON item of type `dataset`."""
    item = {
        "id": r.key,
        "type": "dataset",
        "title": r.title,
        "author": _csl_names(r.authors),
        "issued": _csl_date(r.date),
        "version": r.version,
        "genre": "Data set",
    }
    if r.url:
        item["URL"] = r.url
    if r.licence:
        item["license"] = r.licence
    if r.abstract:
        item["abstract"] = r.abstract
    return item


def csl_source_item(s: SourceCitation) -> dict:
    """The original source as a CSL-JSON item."""
    item: dict = {"id": s.source_id, "type": CSL_TYPES.get(s.kind or "", "webpage"), "title": s.title,
                  "container-title": s.publisher, "publisher": s.publisher}
    if s.author:
        item["author"] = [{"literal": s.author}]
    if s.published:
        item["issued"] = _csl_date(s.published, s.precision)
    if s.url:
        item["URL"] = s.url
    if s.language:
        item["language"] = s.language
    if s.retrieved:
        item["accessed"] = _csl_date(s.retrieved)
    return item


def csl_json(items: list[dict]) -> str:
    """A CSL-JSON document (an array of items)."""
    for item in items:
        # `license` is not a CSL variable: keep it readable in `note`, where CSL processors show it.
        if "license" in item:
            item["note"] = "; ".join(p for p in (item.get("note"), f"Licence: {item.pop('license')}") if p)
    return json.dumps(items, ensure_ascii=False, indent=2)


def csl_figure_items(f: FigureCitation) -> list[dict]:
    """The figure (as a `dataset` item of the release) and its original source."""
    fig = csl_release_item(f.release)
    fig.update({
        "id": f.key,
        "title": f"{f.subject}: {f.statement}",
        "container-title": f.release.title,
        "number": f.figure_id,
        "note": f"Figure {f.figure_id}. Original source: {f.source.source_id}. Quote: \u201c{f.quote}\u201d"
        + (f" {f.caveats}" if f.caveats else ""),
        "references": f.source.source_id,
    })
    fig.pop("abstract", None)
    return [fig, csl_source_item(f.source)]


# ---------------------------------------------------------------------------------------- CFF


def _y(value: object) -> str:
    """A YAML scalar: JSON strings and numbers are valid YAML."""
    return json.dumps(value, ensure_ascii=False)


def _cff_authors(authors: list[Author], indent: str) -> list[str]:
    lines = []
    for a in authors:
        if a.literal:
            lines.append(f"{indent}- name: {_y(a.literal)}")
        else:
            lines.append(f"{indent}- family-names: {_y(a.family)}")
            if a.given:
                lines.append(f"{indent}  given-names: {_y(a.given)}")
    return lines


def cff_release(r: ReleaseCitation, message: str | None = None, references: list[str] | None = None) -> str:
    """A CITATION.cff (Citation File Format 1.2.0) document for the release."""
    lines = [
        "cff-version: 1.2.0",
        f"message: {_y(message or 'If you use this data, please cite it as below, with the version you used.')}",
        "type: dataset",
        f"title: {_y(r.title)}",
        "authors:",
        *_cff_authors(r.authors, "  "),
        f"version: {_y(r.version)}",
        f"date-released: {_y(r.date)}",
    ]
    if r.licence:
        lines.append(f"license: {_y(r.licence)}")
    if r.url:
        lines.append(f"url: {_y(r.url)}")
    if r.abstract:
        lines.append(f"abstract: {_y(r.abstract)}")
    if r.keywords:
        lines.append("keywords:")
        lines += [f"  - {_y(k)}" for k in r.keywords]
    if references:
        lines.append("references:")
        lines += references
    return "\n".join(lines)


def cff_source_reference(s: SourceCitation, notes: str | None) -> list[str]:
    """The original source as one item of a CFF `references` list."""
    lines = [
        f"  - type: {CFF_TYPES.get(s.kind or '', 'generic')}",
        f"    title: {_y(s.title)}",
        "    authors:",
        f"      - name: {_y(s.author or s.publisher)}",
        "    publisher:",
        f"      name: {_y(s.publisher)}",
    ]
    if s.published:
        if s.precision == "day":
            lines.append(f"    date-published: {_y(s.published)}")
        else:
            lines.append(f"    year: {int(s.published[:4])}")
            if s.precision in ("month", "approximate"):
                lines.append(f"    month: {int(s.published[5:7])}")
    if s.url:
        lines.append(f"    url: {_y(s.url)}")
    if s.retrieved:
        lines.append(f"    date-accessed: {_y(s.retrieved)}")
    if s.language:
        lines.append(f"    languages:\n      - {_y(s.language)}")
    if notes:
        lines.append(f"    notes: {_y(notes)}")
    return lines


def cff_figure(f: FigureCitation) -> str:
    """The release's CFF, whose message names the figure and whose references hold its source."""
    message = (f"If you use figure {f.figure_id} ({f.subject}: {f.statement}), cite this release "
               f"and the original source listed under references." + (f" {f.caveats}" if f.caveats else ""))
    notes = f"Quote: \u201c{f.quote}\u201d" + (" Publication date approximate." if f.source.precision == "approximate" else "")
    return cff_release(f.release, message=message, references=cff_source_reference(f.source, notes))


def render(snap: Snapshot, fmt: str, figure_id: str | None = None, version: str | None = None) -> str:
    """The citation of the package in `snap` (or of one of its figures) in format `fmt`; `version`,
    when given, replaces the descriptor's version (e.g. `0.2.0+unreleased`)."""
    if fmt not in FORMATS:
        raise AidealsError(f"--format: {fmt!r} is not one of {', '.join(FORMATS)}")
    if figure_id is None:
        r = release_citation(snap.descriptor)
        r = r if version is None else replace(r, version=version)
        return {"apa": apa_release, "bibtex": bibtex_release, "cff": cff_release,
                "csl-json": lambda r: csl_json([csl_release_item(r)])}[fmt](r)
    f = figure_citation(snap, figure_id, version)
    return {"apa": apa_figure, "bibtex": bibtex_figure, "cff": cff_figure,
            "csl-json": lambda f: csl_json(csl_figure_items(f))}[fmt](f)
