"""The scenarios that ship with rdssim, inside the package (``rdssim/scenarios``)."""

from __future__ import annotations

import os
from pathlib import Path

BUNDLED_DIR = Path(__file__).resolve().parent / "scenarios"


def bundled_names() -> list[str]:
    """The bundled scenarios' names (their files' stems), sorted."""
    return sorted(path.stem for path in BUNDLED_DIR.glob("*.yaml"))


def bundled_path(name: str) -> Path | None:
    """The file of the bundled scenario ``name`` (``multi_az_failover``, with or without
    ``.yaml``), or None if there is none of that name."""
    stem = name.removesuffix(".yaml")
    if not stem or "/" in stem or "\\" in stem or stem.startswith("."):
        return None
    path = BUNDLED_DIR / f"{stem}.yaml"
    return path if path.is_file() else None


def resolve(source: str | os.PathLike[str]) -> Path:
    """``source`` as a path: itself if it is a file, else the bundled scenario of that name,
    else itself (reading it then says there is no such file).

    A folder does not shadow a bundled name: ``rdssim run client_timeouts`` from a folder
    holding a ``client_timeouts/`` (a run's output, say) still runs the bundled scenario.
    """
    path = Path(source)
    try:
        if path.is_file():
            return path
    except (OSError, ValueError):  # a name too long for a file, a NUL: reading it says so
        return path
    found = bundled_path(os.fspath(source))
    return found if found is not None else path
