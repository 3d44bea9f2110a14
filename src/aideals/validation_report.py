"""How a validation report is shown: grouped text for people, JSON for machines, an exit code."""

from __future__ import annotations

import json
from collections import defaultdict

from aideals.checks import Report

# Exit codes of `aideals validate`.
EXIT_CLEAN, EXIT_FINDINGS, EXIT_UNUSABLE = 0, 1, 2


def exit_code(report: Report) -> int:
    """0 when clean, 2 when the package cannot be read as a whole, 1 for any other finding."""
    if report.unusable:
        return EXIT_UNUSABLE
    return EXIT_FINDINGS if report.findings else EXIT_CLEAN


def as_text(report: Report) -> str:
    """Findings grouped by layer and check, each group headed by its count, then a summary line."""
    groups: dict[tuple[str, str], list] = defaultdict(list)
    for f in report.findings:
        groups[(f.layer, f.check)].append(f)
    lines = []
    for (layer, check), items in groups.items():
        lines.append(f"{check} ({layer}): {len(items)}")
        lines.extend(f"  {f.line()}" for f in items)
    n = len(report.findings)
    more = " (stopped at --max-errors)" if report.truncated else ""
    if n:
        lines.append(f"{n} finding{'s' if n != 1 else ''} in {len(groups)} check{'s' if len(groups) != 1 else ''}{more}.")
    else:
        lines.append(f"valid: {len(report.checks_run)} checks passed.")
    return "\n".join(lines)


def as_json(report: Report) -> str:
    """The report as one JSON object (shape documented in the README, section Validate)."""
    counts: dict[str, int] = defaultdict(int)
    for f in report.findings:
        counts[f.check] += 1
    doc = {
        "valid": report.ok,
        "exit_code": exit_code(report),
        "error": None,
        "truncated": report.truncated,
        "checks_run": report.checks_run,
        "counts": dict(counts),
        "findings": [f.to_dict() for f in report.findings],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False)


def error_as_json(message: str, code: int = EXIT_UNUSABLE) -> str:
    """The JSON object of a validation that could not run (the package cannot be found or read, a
    wrong option or setting): the shape of as_json, with no check run and `error`, the message the
    command also prints on stderr."""
    doc = {
        "valid": False,
        "exit_code": code,
        "error": message,
        "truncated": False,
        "checks_run": [],
        "counts": {},
        "findings": [],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False)
