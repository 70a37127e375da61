"""Every module imports on its own, first: a spawned sweep worker unpickling a Scenario
imports rdssim in another order than the CLI does, and a circular import there fails in
the worker only (once it hung the sweep)."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import importlib, pkgutil, sys
import rdssim
names = sorted(m.name for m in pkgutil.walk_packages(rdssim.__path__, "rdssim."))
failed = []
for name in names:
    for loaded in [m for m in sys.modules if m == "rdssim" or m.startswith("rdssim.")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception as error:
        failed.append(f"{name}: {error!r}")
print(len(names))
print("\\n".join(failed))
"""


def test_every_module_imports_first() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300, check=True
    )
    count, *failed = result.stdout.strip().split("\n")
    assert int(count) > 50
    assert [line for line in failed if line] == []
