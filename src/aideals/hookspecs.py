"""The hooks a plugin can implement, one function each, with the `hookimpl` marker for authors.

A plugin is a module (or any object) with functions named after these hooks and decorated with
`@hookimpl`:

    from aideals import hookimpl
    from aideals.metrics import Metric

    @hookimpl
    def aideals_register_metrics():
        return [Metric(name="my_metric", ...)]

Plugins are found by `aideals.plugins` (entry points of group `aideals`, the repository's
`plugins/` directory, `--plugins-dir`); `plugins/README.md` documents each hook with an example.
"""

from __future__ import annotations

import pluggy

PROJECT_NAME = "aideals"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def aideals_register_metrics():
    """Return the metrics this plugin defines: a list of `aideals.metrics.Metric` (or one Metric).

    Called once per run, when metrics are listed or computed (`aideals metrics`, `aideals build`).
    Each Metric has a name unique across all plugins, a title, a description, a unit, the formula
    in words, and either `sql` (a query over the release tables and views) or `function` (called
    with a read-only DuckDB connection, returning an iterable of row dicts). Result rows are
    validated against schemas/metric-result.schema.json before they are kept.
    """


@hookspec
def aideals_register_checks():
    """Return extra cross-table data checks: a list of `aideals.checks.ExtraCheck` (or one).

    Called once per run by validation. Each check has a name, a description of what it asserts,
    and `sql` returning the failing rows (the check passes when it returns none). The plugin
    field is filled in by the loader with the plugin's name. The SQL runs on a read-only,
    sandboxed copy of the tables: a check that writes or touches files fails alone, as a finding.
    """
