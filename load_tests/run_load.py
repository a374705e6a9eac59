"""`make load`: the benchmark snapshot under gunicorn, Locust headless, a report, a verdict.

Run from the repository root: `.venv/bin/python -m load_tests.run_load [--seconds 60] ...`.
Generates var/bench-snapshot and loads var/bench-store when missing, serves them with the
production gunicorn.conf.py on a free loopback port, runs Locust for a bounded time, writes
load_tests/reports/<UTC timestamp>/ (Locust's HTML and CSV, gunicorn and Locust logs,
summary.txt, summary.json), stops everything it started, and exits 1 when a budget in
load_tests/budgets.toml is broken (2 when the run itself failed).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import orjson

from load_tests.bench_store import SNAPSHOT_DIR, STORE_DIR, ensure_loaded, ensure_snapshot
from load_tests.budgets import DEFAULT_BUDGETS, breaches, load_budgets
from load_tests.report import (
    code_version,
    consumer_table,
    read_locust_stats,
    server_latencies,
    table,
    worker_table,
    worker_usage,
)
from load_tests.server import ROOT, ProcessSample, Server, sample_workers, server_env, serving

REPORTS = ROOT / "load_tests/reports"
LOCUSTFILE = ROOT / "load_tests/locustfile.py"
RSS_EVERY_SECONDS = 5.0


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    env = os.environ
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seconds", type=int, default=int(env.get("TRUST_SIGNALS_LOAD_SECONDS", "60"))
    )
    parser.add_argument(
        "--users", type=int, default=int(env.get("TRUST_SIGNALS_LOAD_USERS", "100"))
    )
    parser.add_argument(
        "--user-rps",
        type=float,
        default=float(env.get("TRUST_SIGNALS_LOAD_USER_RPS", "1.5")),
        help="requests per second per user; 0 = back to back (closed loop)",
    )
    parser.add_argument("--workers", type=int, default=int(env.get("WEB_CONCURRENCY", "2")))
    parser.add_argument("--snapshot-dir", type=Path, default=SNAPSHOT_DIR)
    parser.add_argument("--store-dir", type=Path, default=STORE_DIR)
    parser.add_argument("--budgets", type=Path, default=DEFAULT_BUDGETS)
    parser.add_argument("--gunicorn-arg", action="append", default=[], help="extra gunicorn arg")
    parser.add_argument(
        "--shape",
        default=env.get("TRUST_SIGNALS_LOAD_SHAPE", ""),
        help="'step': raise users until a budget breaks (load_tests/step_shape.py)",
    )
    return parser.parse_args(argv)


def _locust_command(args: argparse.Namespace, server: Server, out: Path) -> list[str]:
    return [
        str(Path(sys.executable).with_name("locust")),
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--host",
        server.base_url,
        "--users",
        str(args.users),
        "--spawn-rate",
        str(max(args.users // 2, 1)),
        "--run-time",
        f"{args.seconds}s",
        "--stop-timeout",
        "5",
        "--csv",
        str(out / "locust"),
        "--html",
        str(out / "locust.html"),
        "--only-summary",
    ]


def _locust_env(args: argparse.Namespace, out: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["TRUST_SIGNALS_LOAD_SNAPSHOT"] = str(args.snapshot_dir)
    env["TRUST_SIGNALS_LOAD_USER_RPS"] = str(args.user_rps)
    env["TRUST_SIGNALS_LOAD_STEP_REPORT"] = str(out / "steps.json")
    env["TRUST_SIGNALS_LOAD_SHAPE"] = args.shape
    return env


class RssSampler(threading.Thread):
    """Samples every worker's memory every few seconds while the run lasts."""

    def __init__(self, master_pid: int) -> None:
        super().__init__(daemon=True)
        self.master_pid = master_pid
        self.series: list[dict[int, ProcessSample]] = []
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(RSS_EVERY_SECONDS):
            self.series.append(sample_workers(self.master_pid))


def run_locust(args: argparse.Namespace, server: Server, out: Path) -> dict[str, object]:
    """Locust against `server`; worker CPU and memory over the run, seconds, exit code."""
    before = sample_workers(server.pid)
    sampler = RssSampler(server.pid)
    sampler.start()
    started = time.monotonic()
    children_before = _children_cpu_seconds()
    with (out / "locust.log").open("wb") as log:
        code = subprocess.run(
            _locust_command(args, server, out),
            cwd=ROOT,
            env=_locust_env(args, out),
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=args.seconds + 120,
            check=False,
        ).returncode
    seconds = time.monotonic() - started
    locust_cpu = _children_cpu_seconds() - children_before
    sampler.done.set()
    sampler.join()
    usage = worker_usage(before, sample_workers(server.pid), sampler.series, seconds)
    return {
        "locust_exit": code,
        "seconds": seconds,
        "locust_core_share": locust_cpu / seconds,
        "workers": usage,
    }


def _children_cpu_seconds() -> float:
    # Waited-for children only: gunicorn is still running, so this is Locust's CPU.
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _headline(args: argparse.Namespace, run: dict[str, object], load: str) -> str:
    users = "step mode" if args.shape == "step" else f"{args.users} users"
    pace = f"{args.user_rps:g} req/s each" if args.user_rps else "unpaced"
    return (
        f"code {code_version()}; {users} at {pace}, {run['seconds']:.0f} s, "
        f"{args.workers} workers {' '.join(args.gunicorn_arg)}".rstrip()
        + f"; nproc {os.cpu_count()}; load average {load} -> {_loadavg()}; "
        f"Locust used {run['locust_core_share']:.0%} of a core"
    )


def step_table(path: Path) -> str:
    """The step shape's steps: users, req/s, p99 per consumer, what broke; the rate that held."""
    report = orjson.loads(path.read_bytes())
    names = sorted({n for s in report["steps"] for n in s["consumers"]})
    rows = [
        [str(s["users"]), f"{s['rps']:,.0f}"]
        + [_p99(s["consumers"].get(n)) for n in names]
        + ["; ".join(s["broken"]) or "held"]
        for s in report["steps"]
    ]
    held = report["held_rps"]
    return "\n".join(
        [
            table(["users", "req/s", *(f"{n} p99" for n in names), "verdict"], rows),
            f"highest rate that held every budget: {f'{held:,.0f} req/s' if held else 'none'}",
        ]
    )


def _p99(figures: dict[str, object] | None) -> str:
    value = figures.get("p99_ms") if figures else None
    return "-" if value is None else f"{value:.0f}"


def summarise(args: argparse.Namespace, out: Path, run: dict[str, object], load: str) -> int:
    """Print and write the per-consumer and per-worker tables; the exit status."""
    stats_path = out / "locust_stats.csv"
    if not stats_path.exists():
        print(f"locust wrote no stats (exit {run['locust_exit']}); see {out / 'locust.log'}")
        return 2
    budgets = load_budgets(args.budgets)
    figures = read_locust_stats(stats_path)
    consumers = {k: v for k, v in figures.items() if k != "total"}
    # A step run is judged step by step by the shape; its whole-run figures mix every step.
    broken = breaches(consumers, budgets) if args.shape != "step" else []
    server_side = server_latencies(out / "gunicorn.log")
    parts = [_headline(args, run, load), consumer_table(figures, budgets.p99_ms, server_side)]
    parts.append(worker_table(run["workers"]))  # type: ignore[arg-type]
    if args.shape == "step" and (out / "steps.json").exists():
        parts.append(step_table(out / "steps.json"))
    if args.shape == "step":
        parts.append("step mode: each step judged on its own figures (above)")
    else:
        parts.append("\n".join(broken) if broken else "every budget held")
    text = "\n\n".join(parts)
    print(text)
    (out / "summary.txt").write_text(text + "\n")
    summary = {"args": vars(args), "run": run, "figures": figures, "broken": broken}
    (out / "summary.json").write_bytes(
        orjson.dumps(summary, default=_plain, option=orjson.OPT_INDENT_2)
    )
    return 1 if broken else 0


def _plain(value: object) -> object:
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "__dataclass_fields__"):
        return asdict(value)  # type: ignore[call-overload]
    raise TypeError(f"cannot serialise {type(value).__name__}")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    ensure_snapshot(args.snapshot_dir)
    ensure_loaded(args.snapshot_dir, args.store_dir)
    out = REPORTS / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out.mkdir(parents=True)
    load = _loadavg()
    env = server_env(args.store_dir)
    with serving(
        env, out / "gunicorn.log", workers=args.workers, extra_args=args.gunicorn_arg
    ) as server:
        print(f"serving {args.store_dir} at {server.base_url} (master {server.pid}); report {out}")
        run = run_locust(args, server, out)
    return summarise(args, out, run, load)


if __name__ == "__main__":
    sys.exit(main())
