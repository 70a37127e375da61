"""A wheel of the project, installed in a fresh virtual environment outside the checkout,
holds the bundled scenarios: ``rdssim list`` and ``rdssim run NAME`` work there."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_a_wheel_installed_elsewhere_lists_and_runs_the_bundled_scenarios(tmp_path: Path) -> None:
    # A copy of the source: setuptools builds in the tree it is given (build/).
    source = tmp_path / "source"
    shutil.copytree(
        REPO,
        source,
        symlinks=True,
        ignore=shutil.ignore_patterns(".git", ".venv", "build", "runs", "*.egg-info", ".*cache"),
    )
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(source)],
        check=True,
        timeout=600,
    )
    (wheel,) = wheels.glob("rdssim-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "rdssim/scenarios/multi_az_failover.yaml" in names
    assert not [n for n in names if n.endswith(".out.json")]  # the tests' stored outputs
    assert any(n.endswith("licenses/LICENSE") for n in names)
    # A fresh environment; its dependencies come from this one (a .pth line adds this
    # environment's site-packages after its own), the project only from the wheel.
    env_dir = tmp_path / "env"
    venv.create(env_dir, with_pip=False)
    env_python = env_dir / "bin" / "python"
    site = subprocess.run(
        [str(env_python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    (Path(site) / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(env_python),
            "install",
            "-q",
            "--no-deps",
            str(wheel),
        ],
        check=True,
        timeout=600,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    environment = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}

    def there(*command: str) -> subprocess.CompletedProcess[str]:
        """``command`` run outside the checkout, in the fresh environment."""
        return subprocess.run(
            command, cwd=elsewhere, capture_output=True, text=True, env=environment, timeout=300
        )

    rdssim = str(env_dir / "bin" / "rdssim")
    where = there(
        str(env_python), "-c", "import rdssim; print(rdssim.__file__, rdssim.__version__)"
    )
    assert where.returncode == 0, where.stderr
    assert str(env_dir) in where.stdout and str(REPO) not in where.stdout
    listed = there(rdssim, "list")
    assert listed.returncode == 0, listed.stderr
    assert "multi_az_failover" in listed.stdout and "year_of_failures" in listed.stdout
    ran = there(rdssim, "run", "multi_az_failover", "--no-plot", "--html", "--out", "out")
    assert ran.returncode == 0, ran.stderr
    assert (elsewhere / "out" / "summary.json").is_file()
    assert (elsewhere / "out" / "report.html").stat().st_size > 1_000_000  # plotly.js inside
    version = there(rdssim, "--version")
    assert version.stdout.strip() == f"rdssim {where.stdout.split()[1]}"
