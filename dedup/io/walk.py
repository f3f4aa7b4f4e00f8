"""Finding the input's files: folders walked in a fixed order, and what a walk does not read.

A folder's walk follows no symbolic link and reads no hidden entry, and says so: each entry it
skips keeps its place in the reading order with a :class:`Skipped` id, which the reader reports.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable, Iterator
from pathlib import Path


class InputError(Exception):
    """The input as a whole cannot be used (a path that does not exist, say)."""


class Skipped(str):
    """The id of an entry that a folder's walk does not read (a hidden file, a symbolic link…),
    carrying the reason. It takes the entry's place in the reading order like any file's id,
    into pieces and other processes, and :func:`dedup.io.read_path` reports it there: wherever the
    input is read, the same problems come in the same order."""

    reason: str

    def __new__(cls, ident: str, reason: str) -> Skipped:
        self = super().__new__(cls, ident)
        self.reason = reason
        return self

    def __reduce__(self):
        return Skipped, (str(self), self.reason)


def _walk(folder: Path, tree: Path) -> Iterator[tuple[Path, str | None]]:
    """Every entry under ``folder`` in sorted order (a folder's own entries, then its
    sub-folders'), with the reason it is skipped or ``None``. Symbolic links are not followed,
    so no loop is possible: one to a place inside ``tree`` (the resolved folder walked) names
    what is read there anyway, one to outside leaves the input."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        yield folder, f"folder cannot be read: {exc.strerror or exc}"
        return
    subfolders = []
    for entry in entries:
        path = Path(entry.path)
        if entry.name.startswith("."):
            kind = "folder" if entry.is_dir() else "file"
            yield path, f"hidden {kind} skipped (names starting with '.' are not read inside a folder)"
        elif entry.is_symlink():
            yield path, _link_reason(path, tree)
        elif entry.is_dir(follow_symlinks=False):
            subfolders.append(path)
        else:
            yield path, None
    for sub in subfolders:
        yield from _walk(sub, tree)


def _link_reason(link: Path, tree: Path) -> str:
    """Why the symbolic link ``link`` met in the walk of ``tree`` is skipped."""
    try:
        target = link.resolve(strict=True)
    except (OSError, RuntimeError):  # missing target, or a loop of links
        return "broken symbolic link skipped"
    if target == tree or tree in target.parents:
        return f"symbolic link skipped: it points to {target.relative_to(tree).as_posix() or '.'}, read there"
    return f"symbolic link to outside the folder skipped ({target})"


class Labelled(str):
    """A file read under another name: standard input, saved to a temporary file, is read as
    ``stdin`` (its records' places are ``stdin:LINE``). A ``str`` of the file's path, so it passes
    wherever a path does, and pickles as itself."""

    def __new__(cls, path: str, label: str) -> Labelled:
        self = super().__new__(cls, path)
        self.label = label
        return self

    def __reduce__(self):
        return Labelled, (str(self), self.label)


def sources(paths: Iterable[str | os.PathLike]) -> Iterator[tuple[Path, str]]:
    """Every file under ``paths`` with its document id, in reading order.

    Folders are walked recursively in sorted order and their files get ids
    relative to the folder; a file given directly keeps the path as given; a
    pattern (``shards/*.jsonl``) that is not itself a path is expanded, sorted.
    What a folder's walk does not read (hidden files and folders, symbolic links) comes
    with a :class:`Skipped` id, which :func:`read_path` reports.

    Raises
    ------
    InputError
        When a path does not exist (or a pattern matches nothing).
    """
    for raw in paths:
        if isinstance(raw, Labelled):
            yield Path(str(raw)), raw.label
            continue
        root = Path(raw)
        if not root.exists() and any(ch in str(raw) for ch in "*?["):
            matches = sorted(glob.glob(str(raw), recursive=True))
            if not matches:
                raise InputError(f"{raw}: no file matches this pattern")
            yield from sources(matches)
            continue
        if not root.exists():
            raise InputError(f"{raw}: no such file or folder")
        if root.is_dir():
            tree = root.resolve()
            for p, skipped in _walk(root, tree):
                ident = p.relative_to(root).as_posix()
                yield p, ident if skipped is None else Skipped(ident, skipped)
        else:
            yield root, str(raw)
