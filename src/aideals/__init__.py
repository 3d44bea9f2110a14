"""aideals: the deals that finance the AI compute build-out, as a checked, citable data package."""

# The version of the last release of this repository (data and toolkit): `aideals release X.Y.Z` sets it.
__version__ = "0.63.0"


def __getattr__(name: str):
    # `from aideals import hookimpl` for plugin authors, without importing pluggy on `aideals --help`.
    if name == "hookimpl":
        from aideals.hookspecs import hookimpl

        return hookimpl
    raise AttributeError(f"module 'aideals' has no attribute {name!r}")
