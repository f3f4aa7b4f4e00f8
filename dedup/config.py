"""Defaults for the command line, from a configuration file: ``dedup.toml`` in the working folder,
else the ``[tool.dedup]`` table of its ``pyproject.toml``, or the file given with ``--config``.

Sits before every command: an option given on the command line wins over the file, the file over
the built-in defaults. Keys (all optional)::

    min_similarity = 0.35      # same-story probability at or above which two articles are variants
    duplicate_threshold = 0.6  # word 5-gram Jaccard at or above which two articles are duplicates
    max_days = 3               # articles further apart than this are not the same story
    text_field = "article_body"  # and id_field, title_field, outlet_field, date_field
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, fields
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


class ConfigError(ValueError):
    """A configuration file that cannot be read or holds an unknown key or a bad value."""


@dataclass(frozen=True)
class Config:
    """What a configuration file may set; ``None``: not set (the built-in default applies)."""

    min_similarity: float | None = None
    duplicate_threshold: float | None = None
    max_days: float | None = None
    id_field: str | None = None
    text_field: str | None = None
    title_field: str | None = None
    outlet_field: str | None = None
    date_field: str | None = None
    source: str | None = None  # the file read, for messages

    @classmethod
    def from_table(cls, table: dict, source: str) -> Config:
        known = {f.name: f for f in fields(cls) if f.name != "source"}
        unknown = sorted(set(table) - set(known))
        if unknown:
            raise ConfigError(f"{source}: unknown key {unknown[0]!r} (known: {', '.join(known)})")
        values = {}
        for key, value in table.items():
            if key.endswith("_field"):
                if not isinstance(value, str) or not value:
                    raise ConfigError(f"{source}: {key} must be a field name (a string), got {value!r}")
            elif isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ConfigError(f"{source}: {key} must be a number, got {value!r}")
            elif key != "max_days" and not 0.0 <= value <= 1.0:
                raise ConfigError(f"{source}: {key} must be between 0 and 1, got {value!r}")
            elif key == "max_days" and value < 0:
                raise ConfigError(f"{source}: max_days must be at least 0, got {value!r}")
            values[key] = value
        return cls(**values, source=source)


def _read(path: Path) -> dict:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def load(path: str | Path | None = None, folder: str | Path = ".") -> Config:
    """The configuration in ``path``, else in ``folder``'s ``dedup.toml``, else in its
    ``pyproject.toml``'s ``[tool.dedup]``; an empty :class:`Config` when there is none.

    Raises
    ------
    ConfigError
        The file named does not exist or cannot be read, is not TOML, or holds an unknown key or a
        bad value (the message names the file).
    """
    if path is not None:
        p = Path(path)
        if not p.is_file():
            raise ConfigError(f"{p}: no such configuration file")
        table = _read(p)
        if p.name == "pyproject.toml":
            table = table.get("tool", {}).get("dedup", {})
        return Config.from_table(table, str(p))
    here = Path(folder)
    if (here / "dedup.toml").is_file():
        return Config.from_table(_read(here / "dedup.toml"), str(here / "dedup.toml"))
    if (here / "pyproject.toml").is_file():
        try:
            table = _read(here / "pyproject.toml").get("tool", {}).get("dedup")
        except ConfigError:
            return Config()  # another project's file that is not TOML: not ours to judge
        if table is not None:
            return Config.from_table(table, f"{here / 'pyproject.toml'} [tool.dedup]")
    return Config()
