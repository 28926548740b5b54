"""Output paths are checked before any work starts, so a mistake in one costs a second, not a run.

A file to write must not be a folder or a device, may only have a suffix the writer knows,
and its folder must exist (missing folders are created, as ``mkdir -p`` would) and accept a
new file. Writability is tested by creating and removing a file there: permission bits
alone don't tell (root ignores them; /proc and /sys refuse root too).
"""
from __future__ import annotations

import os
import tempfile

from .errors import UserError

PLOT_FORMATS = (".png", ".pdf", ".svg", ".jpg")


def check_file(path: str, flag: str, suffixes: tuple[str, ...] | None = None) -> None:
    """``path`` (given as ``flag``) can be written; raises a UserError saying why not."""
    if os.path.isdir(path):
        raise UserError(f"{flag} {path}: is a folder; give a file name")
    if os.path.lexists(path) and not os.path.isfile(path):
        raise UserError(f"{flag} {path}: exists and is not a regular file")
    if suffixes is not None and os.path.splitext(path)[1].lower() not in suffixes:
        raise UserError(f"{flag} {path}: unknown format; use a name ending in {', '.join(suffixes)}")
    check_folder(os.path.dirname(path) or ".", flag, path)


def check_folder(folder: str, flag: str, given: str | None = None) -> None:
    """``folder`` exists (created if missing) and accepts new files; errors name ``flag given``."""
    shown = f"{flag} {folder if given is None else given}"
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise UserError(f"{shown}: {folder} is a file, not a folder")
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as e:
        raise UserError(f"{shown}: can't create the folder {folder}: {e.strerror}") from None
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".tinygrad-edu-", suffix=".probe")
        os.close(fd)
        os.remove(probe)
    except OSError as e:
        raise UserError(f"{shown}: can't write in {folder}: {e.strerror}") from None


def check_distinct(paths: dict[str, str | None]) -> None:
    """No two outputs (``{flag: path}``) are the same file, as when --metrics names the checkpoint."""
    seen: dict[str, str] = {}
    for flag, path in paths.items():
        if path is None:
            continue
        key = os.path.realpath(path)
        if key in seen:
            raise UserError(f"{seen[key]} and {flag} both name {path}; give each output its own file")
        seen[key] = flag
