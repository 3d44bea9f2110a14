"""Finding and registering plugins: one pluggy PluginManager per run, three places to look.

Like datasette's plugins.py, the built-ins are plugins too: the modules of the repository's
`plugins/` directory are registered exactly as an installed package or a `--plugins-dir` module
is. Where plugins come from, in this order:

1. installed distributions with an entry point in group `aideals` (named after the distribution);
2. `<package root>/plugins/*.py`, the repository's own plugins (named after the file);
3. each `--plugins-dir DIR`, its `*.py` files (named after the file).

Only top-level `*.py` files not starting with `_` or `test_` are loaded from a directory, so
`plugins/examples/` (plugin packages meant for `pip install`) is never imported from there.
`AIDEALS_PLUGINS=name,name` limits loading to the plugins named, built-ins included (an empty
value loads none); a name that no plugin has is an error (`AidealsError`, exit 2), since a typo
would otherwise leave a plugin's metrics and checks out of what a build or release computes. `aideals release` loads an installed plugin only when AIDEALS_PLUGINS names it
(`installed_only_if_named`): what a release publishes is then the repository's commit, not what
happens to be installed where it is made; the plugins it leaves out are listed in `left_out`.

A plugin that cannot be imported, or whose hook raises, is reported as a `PluginProblem` and
skipped: one broken plugin must not stop the others. Two plugins with one name, or two metrics
with one name, are errors (`AidealsError`), since which one wins would be an accident.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import re
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aideals.errors import AidealsError, debug_on

if TYPE_CHECKING:
    import pluggy

    from aideals.checks import ExtraCheck
    from aideals.metrics import Metric

ENTRY_POINT_GROUP = "aideals"
LIMIT_ENV = "AIDEALS_PLUGINS"
# The check (and finding) of a plugin that failed to load or to register its checks.
PLUGINS_LOADED_CHECK = "every_plugin_loaded"
PLUGIN_NOT_RUN = f": any check it has did not run (fix the plugin or remove it; {LIMIT_ENV}=name,... loads only the plugins named)"
# The name of a metric or a check: what its rows and findings are filed under.
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
REPOSITORY_DIR = "plugins"

ORIGIN_ENTRY_POINT = "entry point"
ORIGIN_REPOSITORY = "repository"
ORIGIN_PLUGINS_DIR = "plugins-dir"


@dataclass(frozen=True)
class PluginProblem:
    """A plugin, or one of its metrics, that failed and was skipped."""

    plugin: str
    metric: str | None
    error: str
    traceback: str | None = field(default=None, compare=False, repr=False)  # of the exception, if one
    # the plugin's checks, if it has any, did not all run (it was not imported or registered, or its
    # checks hook failed): a validation is then incomplete (`Plugins.checks_to_run`)
    checks_missing: bool = field(default=False, compare=False)

    def line(self) -> str:
        """One line for users: `plugin P: metric M: error`."""
        where = f"plugin {self.plugin}" + (f": metric {self.metric}" if self.metric else "")
        return f"{where}: {self.error}"

    def warning(self, outcome: str = "skipped") -> str:
        """The warning every command prints for it on stderr: the plugin or metric is skipped (or
        what `outcome` says); with --debug (AIDEALS_DEBUG), followed by the traceback of the
        exception that made it fail."""
        text = f"aideals: warning: {self.line()} ({outcome})"
        if self.traceback and debug_on():
            text += "\n" + self.traceback.rstrip()
        return text


@dataclass(frozen=True)
class PluginInfo:
    """Where a registered plugin came from."""

    name: str
    origin: str  # ORIGIN_ENTRY_POINT, ORIGIN_REPOSITORY or ORIGIN_PLUGINS_DIR
    location: str  # the module file, or `module:attr` of the entry point
    version: str | None = None  # of the installed distribution (entry points only)
    distribution: str | None = None  # the installed distribution's name (entry points only)


@dataclass
class Plugins:
    """The plugin manager of this run, what each plugin is, and what went wrong while loading."""

    manager: pluggy.PluginManager
    info: dict[str, PluginInfo] = field(default_factory=dict)
    problems: list[PluginProblem] = field(default_factory=list)
    # installed plugins found but not loaded: AIDEALS_PLUGINS does not name them and the run takes
    # installed plugins only when named (a release)
    left_out: list[PluginInfo] = field(default_factory=list)

    def names(self) -> list[str]:
        """Names of the registered plugins, in registration order."""
        return list(self.info)

    def hooks(self, name: str) -> list[str]:
        """The hooks plugin `name` implements."""
        plugin = self.manager.get_plugin(name)
        return sorted(caller.name for caller in self.manager.get_hookcallers(plugin) or [])

    def call_each(self, hook_name: str) -> list[tuple[str, Any]]:
        """Call a hook on each plugin separately: [(plugin name, its result)], problems recorded.

        Results are kept per plugin so that each metric or check knows which plugin defined it,
        and a hook that raises only loses that plugin's results.
        """
        results = []
        hook = getattr(self.manager.hook, hook_name)
        # get_hookimpls() is in registration order (pluggy *calls* them in reverse).
        for impl in hook.get_hookimpls():
            try:
                result = impl.function()
            except (Exception, SystemExit) as exc:  # a plugin's bug (or its sys.exit): report it, keep the others
                self.problems.append(PluginProblem(impl.plugin_name, None, f"{hook_name}() raised {_describe(exc)}",
                                                   current_traceback(), checks_missing=hook_name == "aideals_register_checks"))
                continue
            if result is not None:
                results.append((impl.plugin_name, result))
        return results

    def metrics(self) -> list[Metric]:
        """Every metric of every plugin, each with its plugin's name; duplicate names are an error."""
        from aideals.metrics import Metric

        by_name: dict[str, Metric] = {}
        for plugin, result in self.call_each("aideals_register_metrics"):
            for item in _as_list(result):
                if not isinstance(item, Metric):
                    self.problems.append(
                        PluginProblem(plugin, None, f"aideals_register_metrics() returned {item!r}, not a Metric")
                    )
                    continue
                metric = item.with_plugin(plugin)
                if metric.name in by_name:
                    raise AidealsError(
                        f"metric {metric.name!r} is defined twice: by plugin {by_name[metric.name].plugin!r} "
                        f"and by plugin {plugin!r} (rename one, or limit plugins with {LIMIT_ENV})"
                    )
                by_name[metric.name] = metric
        return sorted(by_name.values(), key=lambda m: m.name)

    def checks_to_run(self) -> list[ExtraCheck]:
        """The checks a validation runs: every plugin's (`checks`), and, when a plugin failed to
        load or to register its checks, `PLUGINS_LOADED_CHECK` with one finding per such failure:
        the checks it may have had did not run, so the package is not found valid without them.
        Other problems (a metrics hook) are warnings only."""
        from aideals.checks import ExtraCheck

        checks = self.checks()
        missing = [p for p in self.problems if p.checks_missing]
        if missing:
            from aideals.db import quote_literal

            rows = " UNION ALL ".join(f"SELECT {quote_literal(p.line() + PLUGIN_NOT_RUN)} AS message" for p in missing)
            checks.append(ExtraCheck(PLUGINS_LOADED_CHECK, "Every plugin loaded and registered its checks.", rows))
        return checks

    def checks(self) -> list[ExtraCheck]:
        """Every extra data check of every plugin, with `plugin` set to the plugin's name."""
        import dataclasses

        from aideals.checks import ExtraCheck

        from aideals.checks import builtin_checks

        checks: list[ExtraCheck] = []
        # A check's name is its findings' `check` and a name in `checks_run`: one check each, as metrics.
        by_name = {check.name: "aideals (built in)" for check in builtin_checks()}
        by_name[PLUGINS_LOADED_CHECK] = "aideals (built in)"
        for plugin, result in self.call_each("aideals_register_checks"):
            for item in _as_list(result):
                if not isinstance(item, ExtraCheck):
                    self.problems.append(
                        PluginProblem(plugin, None, f"aideals_register_checks() returned {item!r}, not an ExtraCheck",
                                      checks_missing=True)
                    )
                    continue
                if not isinstance(item.name, str) or not NAME_PATTERN.match(item.name):
                    self.problems.append(
                        PluginProblem(plugin, None, f"check name {item.name!r} is not a name like no_cycle_in_party_parents",
                                      checks_missing=True)
                    )
                    continue
                if item.name in by_name:
                    raise AidealsError(
                        f"check {item.name!r} is defined twice: by {_owner(by_name[item.name])} and by plugin {plugin!r} "
                        f"(rename one, or limit plugins with {LIMIT_ENV})"
                    )
                by_name[item.name] = plugin
                checks.append(dataclasses.replace(item, plugin=plugin))
        return checks


def _owner(name: str) -> str:
    return name if name.startswith("aideals (") else f"plugin {name!r}"


def _as_list(result: Any) -> list:
    return list(result) if isinstance(result, list | tuple) else [result]


def current_traceback() -> str:
    """The traceback of the exception being handled, for a PluginProblem (shown with --debug)."""
    import traceback

    return traceback.format_exc()


def _describe(exc: BaseException) -> str:
    """The exception on one line (pluggy's validation error gives its reason on the next lines)."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def limit_from_env(environ: dict[str, str] | None = None) -> set[str] | None:
    """The plugin names allowed by AIDEALS_PLUGINS, or None when it is not set (load all)."""
    named = named_in_env(environ)
    return None if named is None else {_normalise(name) for name in named}


def named_in_env(environ: dict[str, str] | None = None) -> list[str] | None:
    """The names AIDEALS_PLUGINS gives, as written (without the spaces around them), or None when it
    is not set."""
    value = (os.environ if environ is None else environ).get(LIMIT_ENV)
    if value is None:
        return None
    return [name.strip() for name in value.split(",") if name.strip()]


def _normalise(name: str) -> str:
    # Distribution names compare without regard to case, `-`, `_` or `.` (PEP 503).
    return name.strip().lower().replace("_", "-").replace(".", "-")


def discover_entry_points() -> list[importlib.metadata.EntryPoint]:
    """Entry points of group `aideals` of the installed distributions."""
    return list(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP))


def module_files(directory: Path) -> list[Path]:
    """The plugin modules of a directory: top-level *.py, not private, not tests, sorted."""
    return sorted(
        p
        for p in directory.glob("*.py")
        if p.is_file() and not p.name.startswith(("_", "test_")) and p.name != "conftest.py"
    )


def load(
    root: Path | None = None,
    plugins_dirs: Sequence[Path | str] = (),
    *,
    limit: set[str] | None | str = "env",
    entry_points: Iterable[importlib.metadata.EntryPoint] | None = None,
    installed_only_if_named: bool = False,
) -> Plugins:
    """Build this run's PluginManager and register every plugin found.

    `root` is the package root whose `plugins/` holds the repository's plugins (None: none).
    `limit` is a set of plugin names to load (default: from AIDEALS_PLUGINS; None: all); a name in
    it that no plugin has is an AidealsError naming the plugins found.
    `entry_points` replaces the installed entry points (tests pass their own).
    `installed_only_if_named`: with no `limit`, installed plugins (entry points) are not loaded
    but listed in `left_out`; a `limit` naming one loads it (what `aideals release` does).
    """
    import pluggy

    from aideals import hookspecs

    named = None  # the names of the limit as the user wrote them, for the error naming one not found
    if limit == "env":
        named = named_in_env()
        limit = None if named is None else {_normalise(name) for name in named}
    manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    plugins = Plugins(manager)

    found: set[str] = set()  # every plugin name seen, loaded or not: AIDEALS_PLUGINS may name only these
    shown: dict[str, None] = {}  # the plugins found, as the error naming them lists them

    def allowed(name: str, show: bool = True) -> bool:
        found.add(_normalise(name))
        if show:
            shown[name] = None
        return limit is None or _normalise(name) in limit

    eps = list(discover_entry_points() if entry_points is None else entry_points)

    def dist_name(ep: Any) -> str | None:
        dist = getattr(ep, "dist", None)
        return dist.name if dist is not None and dist.name else None

    per_dist = Counter(dist_name(ep) for ep in eps)
    for ep in eps:
        dist = getattr(ep, "dist", None)
        # A plugin is its distribution; one with several entry points in the group is one plugin
        # per entry point, `distribution:entry-point` (AIDEALS_PLUGINS may name either).
        name = dist_name(ep) or ep.name
        if dist_name(ep) and per_dist[dist_name(ep)] > 1:
            name = f"{dist_name(ep)}:{ep.name}"
        if not (allowed(name) | allowed(ep.name, show=False) | allowed(dist_name(ep) or ep.name, show=False)):
            continue
        info = PluginInfo(name, ORIGIN_ENTRY_POINT, ep.value, dist.version if dist else None, dist_name(ep))
        if installed_only_if_named and limit is None:
            plugins.left_out.append(info)
            continue
        try:
            obj = ep.load()
        except (Exception, SystemExit) as exc:
            plugins.problems.append(PluginProblem(name, None, f"cannot load entry point {ep.value}: {_describe(exc)}",
                                                  current_traceback(), checks_missing=True))
            continue
        _register(plugins, obj, info)

    dirs: list[tuple[Path, str]] = []
    if root is not None and (Path(root) / REPOSITORY_DIR).is_dir():
        dirs.append((Path(root) / REPOSITORY_DIR, ORIGIN_REPOSITORY))
    for d in plugins_dirs:
        d = Path(d)
        if not d.is_dir():
            raise AidealsError(f"--plugins-dir {d}: no such directory")
        dirs.append((d, ORIGIN_PLUGINS_DIR))
    seen: set[Path] = set()
    for directory, origin in dirs:
        directory = directory.resolve()
        if directory in seen:  # --plugins-dir plugins/ in the repository: load it once
            continue
        seen.add(directory)
        for path in module_files(directory):
            if not allowed(path.stem):
                continue
            try:
                module = import_file(path)
            except (Exception, SystemExit) as exc:
                plugins.problems.append(PluginProblem(path.stem, None, f"cannot import {path}: {_describe(exc)}",
                                                      current_traceback(), checks_missing=True))
                continue
            _register(plugins, module, PluginInfo(path.stem, origin, str(path)))
    # A typo would otherwise leave a plugin out without a word (a build or release without its metrics).
    unknown = [name for name in (named if named is not None else sorted(limit or ())) if _normalise(name) not in found]
    if unknown:
        raise AidealsError(
            f"{LIMIT_ENV} names {', '.join(map(repr, unknown))}, but no plugin of "
            f"{'that name' if len(unknown) == 1 else 'those names'} was found; the plugins found: "
            f"{', '.join(shown) or 'none'}"
        )
    return plugins


def _register(plugins: Plugins, obj: object, info: PluginInfo) -> None:
    if info.name in plugins.info:
        other = plugins.info[info.name]
        raise AidealsError(
            f"plugin name {info.name!r} is used twice: {other.location} ({other.origin}) and "
            f"{info.location} ({info.origin}); rename one"
        )
    try:
        plugins.manager.register(obj, name=info.name)
        # A misspelt hook (aideals_register_metric) would otherwise be ignored without a word.
        plugins.manager.check_pending()
    except Exception as exc:  # pluggy's PluginValidationError says which hook is wrong
        if plugins.manager.is_registered(obj):
            plugins.manager.unregister(obj)
        plugins.problems.append(PluginProblem(info.name, None, f"cannot register: {_describe(exc)}", current_traceback(),
                                              checks_missing=True))
        return
    plugins.info[info.name] = info
    # A hook without its decorator is a plain function to pluggy, never called: say so.
    from aideals import hookspecs

    hooks = sorted(n for n in vars(hookspecs) if n.startswith("aideals_register_"))
    undecorated = False
    for name in hooks:
        function = getattr(obj, name, None)
        if callable(function) and not hasattr(function, f"{hookspecs.PROJECT_NAME}_impl"):
            undecorated = True
            plugins.problems.append(PluginProblem(
                info.name, None, f"{name}() is not decorated with @aideals.hookimpl, so it is never called",
                checks_missing=name == "aideals_register_checks",
            ))
    # A misspelt hook without its decorator (aideals_register_metric) is a plain function to
    # pluggy, which cannot tell it from any other: a module's `aideals_*` function that is no hook.
    for name in sorted(n for n in dir(obj) if n.startswith("aideals_") and n not in hooks):
        function = getattr(obj, name, None)
        if callable(function) and not hasattr(function, f"{hookspecs.PROJECT_NAME}_impl"):
            import difflib

            near = difflib.get_close_matches(name, hooks, n=1)
            hint = f" (did you mean {near[0]}?)" if near else ""
            plugins.problems.append(PluginProblem(
                info.name, None, f"{name}() is no aideals hook, so it is never called{hint}",
                checks_missing="check" in name or near == ["aideals_register_checks"],
            ))
    # An entry point with nothing to call (it names the hook function rather than its module): say
    # so, as a plugin that was meant to bring checks would otherwise check nothing without a word.
    # (A module of a plugins directory may hold no hook: a helper the others import.)
    if info.origin == ORIGIN_ENTRY_POINT and not undecorated and not plugins.hooks(info.name):
        plugins.problems.append(PluginProblem(
            info.name, None,
            f"{info.location} implements no aideals hook (an entry point names the module that defines "
            "the @aideals.hookimpl functions, not a function)",
            checks_missing=True,
        ))


def import_file(path: Path) -> object:
    """Import a plugin module from a file, under a private module name derived from its path."""
    import hashlib

    digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]
    module_name = f"aideals_plugin_{path.stem}_{digest}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"not a Python module: {path}")
    module = importlib.util.module_from_spec(spec)
    # dataclasses and pickling look modules up in sys.modules while the module executes.
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[module_name]
        raise
    return module



def no_metrics_warning(root: Path | None, *, plugins_dir_option: bool = True, environ: dict[str, str] | None = None) -> str:
    """The warning of a run that lists or computes metrics and finds no metric plugin: why, and where
    the built-in metrics are (not in the installed toolkit: in the repository's `plugins/`, which an
    unzipped release or another package does not have). `plugins_dir_option`: the command takes
    --plugins-dir, and the warning suggests it."""
    env = os.environ if environ is None else environ
    if env.get(LIMIT_ENV) is not None:
        return (f"no metric plugin is loaded, so there are no metrics: {LIMIT_ENV} names none that defines a "
                "metric (the built-in ones are the modules of the repository's plugins/ directory)")
    if root is None:
        where = "no package was found here"
    elif (Path(root) / REPOSITORY_DIR).is_dir():
        where = f"{_shown_dir(Path(root) / REPOSITORY_DIR)}/ defines none"
    else:
        where = f"the package in {_shown_dir(Path(root))} has no {REPOSITORY_DIR}/ (an unzipped release has none)"
    return (f"no metric plugin found, so there are no metrics: the built-in ones are not part of the installed "
            f"toolkit but modules of the aideals repository's {REPOSITORY_DIR}/ directory, and {where}: run in a "
            "clone of the repository" + (f", or give --plugins-dir with a clone's {REPOSITORY_DIR}/" if plugins_dir_option else ""))


def _shown_dir(path: Path) -> str:
    """A directory as a message names it: relative to the working directory when inside it."""
    from aideals.package import working_dir

    cwd = working_dir()
    try:
        rel = path.resolve().relative_to(cwd.resolve()).as_posix() if cwd is not None else str(path)
    except ValueError:
        return str(path)
    return rel


def describe(plugins: Plugins) -> list[dict]:
    """One dict per plugin: name, version, origin, location, hooks and the metrics it defines."""
    metrics_by_plugin: dict[str, list[str]] = {}
    for metric in plugins.metrics():
        metrics_by_plugin.setdefault(metric.plugin, []).append(metric.name)
    return [
        {
            "name": info.name,
            "version": info.version,
            "origin": info.origin,
            "location": info.location,
            "hooks": plugins.hooks(info.name),
            "metrics": metrics_by_plugin.get(info.name, []),
        }
        for info in plugins.info.values()
    ]


def render(descriptions: list[dict], *, as_json: bool = False) -> str:
    """The plugin descriptions as JSON or an aligned table."""
    if as_json:
        import json

        return json.dumps(descriptions, indent=2)
    from aideals.metrics import text_table

    rows = [
        [d["name"], d["version"] or "", d["origin"], ", ".join(d["hooks"]), ", ".join(d["metrics"])]
        for d in descriptions
    ]
    return text_table(["plugin", "version", "origin", "hooks", "metrics"], rows)


def root_or_none(package: str | Path | None) -> Path | None:
    """The package root for --package, or None when no package is given nor found (plugins only)."""
    from aideals.errors import PackageError
    from aideals.package import resolve_root

    try:
        return resolve_root(package)
    except PackageError:
        if package is not None:
            raise
        return None
