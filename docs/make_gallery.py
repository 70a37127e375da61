"""Draw the README's figures (docs/img/) from the bundled scenarios, with the public API.

Each figure is the one ``rdssim run`` (or ``rdssim compare --out``) writes for that
scenario on its own seed; the calibration figures are drawn by docs/calibrate*.py.

Usage: python docs/make_gallery.py [--only NAME] [--out DIR]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import rdssim

IMG = Path(__file__).resolve().parent / "img"


def timeline(scenario: str, variant: str | None = None) -> Callable[[Path], object]:
    return lambda path: rdssim.run(scenario, variant=variant).plot_timeline(path)


def lag(scenario: str, variant: str | None = None) -> Callable[[Path], object]:
    return lambda path: rdssim.run(scenario, variant=variant).plot_lag(path)


def clients(scenario: str) -> Callable[[Path], object]:
    return lambda path: rdssim.plot_client_comparison(rdssim.run_all(scenario), path)


def stacked(scenario: str) -> Callable[[Path], object]:
    return lambda path: rdssim.plot_timelines(rdssim.run_all(scenario), path)


def deployments(path: Path) -> object:
    from rdssim.plot.deployments import plot_deployments
    from rdssim.scenario.schema import DEPLOYMENT_TYPES

    rows = rdssim.compare("az_outage_compare", runs=100)
    return plot_deployments(rows, list(DEPLOYMENT_TYPES), path)


GALLERY: dict[str, Callable[[Path], object]] = {
    "timeline_multi_az_failover": timeline("multi_az_failover"),
    "clients_compare_proxy_vs_direct": clients("proxy_vs_direct_failover"),
    "clients_compare_client_timeouts": clients("client_timeouts"),
    "clients_compare_connection_storm": clients("connection_storm"),
    "lag_replica_lag_after_failover": lag("replica_lag_after_failover", "mysql"),
    "lag_self_managed_stranded": lag("self_managed_stranded_replicas", "self_managed_ec2"),
    "compare_deployments": deployments,
    "timeline_self_managed_unfenced": timeline("self_managed_patroni", "unfenced"),
    "timeline_compare_storage_failure": stacked("storage_failure"),
    "clients_proxy_vs_direct_direct": lambda path: rdssim.run(
        "proxy_vs_direct_failover", variant="direct"
    ).plot_clients(path),
    "clients_year_of_failures": lambda path: rdssim.run("year_of_failures").plot_clients(path),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(GALLERY), help="draw only this figure")
    parser.add_argument("--out", type=Path, default=IMG, help="folder (default docs/img)")
    args = parser.parse_args()
    for name, draw in GALLERY.items():
        if args.only in (None, name):
            draw(args.out / f"{name}.png")
            print(f"wrote {args.out / name}.png")


if __name__ == "__main__":
    main()
