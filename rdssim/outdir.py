"""Output folders: checked before any work, filled in a scratch folder, swapped in whole.

rdssim replaces its ``--out`` folder as a whole, so it must never take a folder that holds
anything it did not write. A folder it wrote carries a marker file listing what it wrote;
only such a folder (holding nothing else) or an empty one may be replaced. Everything else
is refused with an :class:`OutputError` before the run starts: an existing file, the
current folder or one above it, a folder holding the scenario or the user's files, a place
that cannot be written.

The artefacts are written into a scratch folder next to the target and renamed into place
at the end, so a run that fails or is interrupted leaves nothing half-written. A run killed
outright (SIGKILL, a crash) cannot clean up after itself: a small watcher process, started
with the scratch folder, removes it when the run's process goes away without saying it is
done.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

from rdssim import __version__

MARKER = ".rdssim-output.json"
"""In every folder rdssim writes: who wrote it and the files it holds."""

# The watcher: waits on a pipe from the run; if the run dies (EOF without "done"), it
# removes the scratch folder and the parents created for it, innermost first.
_WATCHER = """
import shutil, sys
message = sys.stdin.read()
if message != "done":
    paths = sys.argv[1:]
    shutil.rmtree(paths[0], ignore_errors=True)
    for parent in paths[1:]:
        try:
            __import__("os").rmdir(parent)
        except OSError:
            break
"""


class OutputError(Exception):
    """An output folder that rdssim may not or cannot write (the CLI exits 2)."""


_terminated_by: int | None = None


def note_termination(signum: int) -> None:
    """A signal asked this process to stop. The handler's exception normally unwinds the
    run; if it is raised where Python swallows exceptions (a finalizer, a weakref callback:
    "Exception ignored in ..."), the run goes on, so nothing may be swapped in after it."""
    global _terminated_by
    _terminated_by = signum


def terminated_by() -> int | None:
    """The signal that asked this process to stop, if one did."""
    return _terminated_by


def _entries(folder: Path) -> list[str]:
    """Every file and folder below ``folder``, as sorted relative POSIX paths."""
    out = []
    for root, dirs, files in os.walk(folder):
        base = Path(root).relative_to(folder)
        out += [(base / name).as_posix() for name in (*dirs, *files)]
    return sorted(out)


def _written_by_rdssim(folder: Path) -> list[str] | None:
    """The files rdssim wrote in ``folder`` (from its marker), or None if it has none."""
    try:
        manifest = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or manifest.get("written_by") != "rdssim":
        return None
    files = manifest.get("files")
    return [str(f) for f in files] if isinstance(files, list) else None


def adopt(folder: Path, *names: str) -> bool:
    """Add ``names``, files rdssim has just written into ``folder`` after the fact (rdssim
    report, rdssim plot), to the folder's marker, so that a later run may replace the folder
    whole. Returns whether the folder has a marker (one without is left as it is)."""
    files = _written_by_rdssim(folder)
    if files is None:
        return False
    if set(names) - set(files):
        manifest = json.loads((folder / MARKER).read_text(encoding="utf-8"))
        manifest["files"] = sorted({*files, *names})
        (folder / MARKER).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return True


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def check_target(target: Path, inputs: Sequence[Path] = ()) -> Path:
    """The absolute target if rdssim may (re)write it; OutputError saying why not otherwise."""
    shown = str(target) or "''"
    if str(target) in ("", "."):
        raise OutputError(f"--out {shown}: that is the current folder; name a new folder")
    absolute = Path(os.path.abspath(target))
    real = Path(os.path.realpath(absolute))  # compared without the detours of symbolic links
    if _inside(Path(os.path.realpath(Path.cwd())), real):
        raise OutputError(
            f"--out {shown}: that is the current folder or one above it; name a new folder"
        )
    for path in inputs:
        if _inside(Path(os.path.realpath(path)), real):
            raise OutputError(f"--out {shown}: it holds {path}, an input of this run")
    if absolute.is_symlink():
        raise OutputError(f"--out {shown}: is a symbolic link; name a folder")
    if absolute.exists():
        if not absolute.is_dir():
            raise OutputError(f"--out {shown}: exists and is not a folder")
        _check_replaceable(absolute, shown)
    for parent in absolute.parents:
        if parent.exists():
            if not parent.is_dir():
                raise OutputError(f"--out {shown}: {parent} is a file, not a folder")
            break
    return absolute


def _check_replaceable(folder: Path, shown: str) -> None:
    try:
        present = _entries(folder)
    except OSError as exc:
        raise OutputError(f"--out {shown}: cannot read it ({exc.strerror or exc})") from None
    if not present:
        return  # an empty folder: nothing of anyone's to lose
    written = _written_by_rdssim(folder)
    if written is None:
        listing = ", ".join(present[:3]) + (", ..." if len(present) > 3 else "")
        raise OutputError(
            f"--out {shown}: exists and was not written by rdssim (it holds {listing}); "
            "rdssim replaces its --out folder whole, so name a new or empty folder"
        )
    foreign = [p for p in present if p not in (*written, MARKER)]
    if foreign:
        raise OutputError(
            f"--out {shown}: rdssim wrote it, but it now also holds {foreign[0]}, which "
            "rdssim did not write; move that away or name another folder"
        )


class _Watcher:
    """The process that removes the scratch folder if this one dies before it is done."""

    def __init__(self, paths: Sequence[Path]) -> None:
        self._process: subprocess.Popen[str] | None = None
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", _WATCHER, *map(str, paths)],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                text=True,
                close_fds=True,
                start_new_session=True,  # a Ctrl-C to the run's group must not kill it first
            )
        except OSError:  # pragma: no cover - no new process: cleanup is in-process only
            self._process = None

    def done(self) -> None:
        if self._process is None or self._process.stdin is None:
            return
        try:
            self._process.stdin.write("done")
            self._process.stdin.close()
        except OSError:  # pragma: no cover - the watcher died: nothing to tell it
            pass
        self._process.wait()


@contextmanager
def writing(target: Path, inputs: Sequence[Path] = (), command: str = "run") -> Iterator[Path]:
    """Yield a scratch folder to fill; on success it becomes ``target``, on any exception (or
    interruption) it is removed and ``target`` is left as it was.

    ``target`` is checked first (:func:`check_target`), and the scratch folder is created
    before the caller does any work, so an unwritable place fails at once.
    """
    absolute = check_target(target, inputs)
    created: list[Path] = []
    for parent in reversed(absolute.parents):
        if not parent.exists():
            created.append(parent)
    scratch = _fresh_name(absolute)
    # The watcher starts before anything is created: a run killed at any instant after this
    # leaves nothing behind (found by a SIGKILL between mkdtemp and the watcher's start).
    watcher = _Watcher([scratch, *reversed(created)])
    try:
        for parent in created:
            parent.mkdir()
        scratch.mkdir()
    except OSError as exc:
        watcher.done()  # nothing of ours to remove, and nothing else may be
        _remove_empty(created)
        raise OutputError(f"--out {target}: cannot write there ({exc.strerror or exc})") from None
    try:
        yield scratch
        if _terminated_by is not None:
            raise SystemExit(128 + _terminated_by)
        files = _entries(scratch)
        (scratch / MARKER).write_text(
            json.dumps(
                {
                    "written_by": "rdssim",
                    "version": __version__,
                    "command": command,
                    "files": files,
                },
                indent=2,
            )
            + "\n",
            encoding="utf-8",
        )
        _swap_in(scratch, absolute, str(target))
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        _remove_empty(created)
        raise
    finally:
        watcher.done()


def _fresh_name(target: Path) -> Path:
    """A scratch folder's path beside ``target`` that nothing uses yet (not created)."""
    while True:
        candidate = target.parent / f".{target.name}.rdssim-{secrets.token_hex(6)}"
        if not candidate.exists():
            return candidate


def _swap_in(scratch: Path, target: Path, shown: str) -> None:
    """Move ``scratch`` to ``target``, replacing what rdssim wrote there before."""
    if not target.exists():
        scratch.rename(target)
        return
    _check_replaceable(target, shown)  # again: the user may have added a file meanwhile
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
    old.rmdir()
    target.rename(old)
    scratch.rename(target)
    written = _written_by_rdssim(old) or []
    for name in sorted((*written, MARKER), key=lambda p: p.count("/"), reverse=True):
        path = old / name
        if path.is_dir() and not path.is_symlink():
            _remove_empty([path])
        else:
            path.unlink(missing_ok=True)
    _remove_empty([old])


def _remove_empty(folders: Sequence[Path]) -> None:
    """Remove each folder if it is empty, innermost first; keep any that is not."""
    for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
        with suppress(OSError):
            folder.rmdir()
