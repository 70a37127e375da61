"""The README's figures come from docs/make_gallery.py (or the calibration scripts)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "docs" / "make_gallery.py"


def _gallery_names() -> set[str]:
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        import make_gallery
    finally:
        sys.path.pop(0)
    return set(make_gallery.GALLERY)


def test_every_figure_the_readme_shows_is_drawn_by_a_script() -> None:
    shown = set(re.findall(r"docs/img/([\w-]+)\.png", (ROOT / "README.md").read_text()))
    drawn = _gallery_names()
    calibration = {name for name in shown if name.startswith("calibration_")}
    assert shown - calibration <= drawn, shown - calibration - drawn
    for name in calibration:  # drawn by docs/calibrate*.py
        assert any(name in path.read_text() for path in (ROOT / "docs").glob("calibrate*.py"))


def test_the_gallery_script_draws_a_figure(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--only",
            "timeline_multi_az_failover",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    image = tmp_path / "timeline_multi_az_failover.png"
    assert image.read_bytes().startswith(b"\x89PNG") and image.stat().st_size > 30_000
