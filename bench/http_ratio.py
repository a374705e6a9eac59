"""HTTP ratio benchmark: our endpoints against a framework ceiling, same gunicorn, same wrk.

Run from the repository root: `PYTHONPATH=. .venv/bin/python bench/http_ratio.py` (or
`make bench`). Needs wrk (`apt-get install -y wrk`). In one run, with the production
gunicorn.conf.py, the same worker count and wrk at the same concurrency, it measures:

  ceiling            bench/ceiling_app.py: Flask returning a real 48-offer search response
  ceiling_42k        the same app returning a static 42 KB body (the issue's reference)
  search_warm        GET /v1/badges?surface=search, the same 48 ids every time
  search_cold        a random page of 48 ids per request, from every offer of the snapshot
  features_48/500    POST /v1/features, random ids per request
  features_48/500_nocache  the same, against our service with its cache off
                     (TRUST_SIGNALS_CACHE_SIZE=0)
  lookup_48/500      the same requests against the lookup baseline, bench/lookup_app.py: the
                     snapshot's precomputed rows in a dict, orjson (rows: bench/lookup_rows.py)
  features_500_warm  POST /v1/features, the same 500 ids every time
  features_500_arrow the features_500 requests asking for the Arrow stream (Accept), against
                     lookup_500's JSON

Each case runs --repeats times (interleaved) and the medians are reported, with the ratio to
the ceiling, the features cases' ratio to the lookup baseline, the searches again at half
their peak rate (p99 there), and each worker's share of the CPU per run (does the load spread
over every worker?). The baseline's answer is checked against ours, byte for byte, first.

--variant NAME=ARGS (repeatable) compares gunicorn settings in the same run: every variant
gets its own servers, all up side by side (an idle server costs no CPU), and the
runs are interleaved case by case, so a change in machine load hits every variant alike.
Example: --variant sync= --variant "gthread4=--worker-class gthread --threads 4"
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import urllib.request
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import orjson

from bench.lookup_app import ROWS_ENV
from bench.lookup_rows import ROWS_FILE, ensure_rows
from load_tests.bench_store import SNAPSHOT_DIR, STORE_DIR, ensure_loaded, ensure_snapshot
from load_tests.report import code_version, table
from load_tests.server import ROOT, Server, sample_workers, server_env, serving
from load_tests.wrk_requests import offer_ids, write_request_files

WORK_DIR: Final = ROOT / "var/bench-http"
LUA: Final = ROOT / "bench/wrk_requests.lua"
WARMUP_SECONDS: Final = 2
PILOT_SECONDS: Final = 3
# The feature-store baselines (req/s) and the multiples we are asked to reach.
FEATURE_STORE_RPS: Final = {"features_48": (255, 15), "features_500": (18, 50)}
CEILING_TARGETS: Final = {"search_warm": 0.7, "search_cold": 0.4}
HALF_PEAK_P99_MS: Final = 10.0
# Materialised serving's target: features at >= 0.7x the lookup baseline, caches cold or off.
LOOKUP_BASELINES: Final = {
    "features_48": "lookup_48",
    "features_48_nocache": "lookup_48",
    "features_500": "lookup_500",
    "features_500_nocache": "lookup_500",
    "features_500_arrow": "lookup_500",
}
LOOKUP_TARGET: Final = 0.7
ARROW_STREAM: Final = "application/vnd.apache.arrow.stream"


@dataclass(frozen=True, slots=True)
class Case:
    """One measurement: which server, which request file, whether to warm the cache first."""

    name: str
    server: str  # "ours", "ours_nocache", "lookup" or "ceiling"
    requests_file: Path
    warm_up: bool
    accept: str = ""  # the Accept header sent; "" sends none (JSON)


@dataclass(frozen=True, slots=True)
class Result:
    """wrk figures (rate, latency in ms, errors) and each worker's CPU share in each run."""

    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    cpu_splits: tuple[tuple[float, ...], ...]


@dataclass(frozen=True, slots=True)
class Variant:
    """A name and the gunicorn arguments added to gunicorn.conf.py for both servers."""

    name: str
    gunicorn_args: tuple[str, ...]


def parse_variant(text: str) -> Variant:
    """NAME=ARGS, the arguments split as a shell would."""
    name, _, args = text.partition("=")
    return Variant(name.strip() or "default", tuple(shlex.split(args)))


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=8, help="per wrk run")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers, both servers")
    parser.add_argument(
        "--variant", type=parse_variant, action="append", default=[], help="NAME=GUNICORN ARGS"
    )
    parser.add_argument("--only", default="", help="comma-separated case names")
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args(argv)


def run_wrk(
    server: Server, case: Case, args: argparse.Namespace, seconds: int, delay_ms: int = 0
) -> Result:
    """One wrk run of `case` against `server`; the worker CPU split is sampled around it."""
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{seconds}s"]
    command += ["--timeout", "5s", "-s", str(LUA), server.base_url, "--", str(case.requests_file)]
    env = {**os.environ, "WRK_DELAY_MS": str(delay_ms), "WRK_ACCEPT": case.accept}
    before = sample_workers(server.pid)
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=seconds + 30, check=True
    )
    after = sample_workers(server.pid)
    used = [after[p].cpu_seconds - before[p].cpu_seconds for p in sorted(set(before) & set(after))]
    stats = orjson.loads([x for x in done.stdout.splitlines() if x.startswith("{")][-1])
    errors = sum(stats[k] for k in ("connect_errors", "read_errors", "write_errors"))
    errors += stats["status_errors"] + stats["timeouts"]
    return Result(
        stats["requests"] / (stats["duration_us"] / 1e6),
        stats["p50_us"] / 1000,
        stats["p99_us"] / 1000,
        errors,
        (tuple(u / (sum(used) or 1.0) for u in used),),
    )


def median_result(results: Sequence[Result]) -> Result:
    """Medians of rate and latencies over repeats; errors summed; every run's CPU split."""
    return Result(
        statistics.median(r.rps for r in results),
        statistics.median(r.p50_ms for r in results),
        statistics.median(r.p99_ms for r in results),
        sum(r.errors for r in results),
        tuple(split for r in results for split in r.cpu_splits),
    )


Servers = dict[tuple[str, str], Server]  # (variant, Case.server) -> server
Results = dict[tuple[str, str], Result]  # (variant, case) -> result
Memory = dict[str, list[int]]  # variant -> the lookup baseline's RssAnon per worker, bytes


def measure(cases: Sequence[Case], servers: Servers, args: argparse.Namespace) -> Results:
    """Every case on every variant `repeats` times, interleaved so load drifts hit all alike."""
    runs: dict[tuple[str, str], list[Result]] = {}
    for repeat in range(args.repeats):
        for case in cases:
            for variant in args.variant:
                server = servers[variant.name, case.server]
                if case.warm_up:
                    run_wrk(server, case, args, WARMUP_SECONDS)
                got = run_wrk(server, case, args, args.seconds)
                runs.setdefault((variant.name, case.name), []).append(got)
                print(
                    f"  {repeat + 1}/{args.repeats} {variant.name} {case.name}: "
                    f"{got.rps:,.0f} req/s",
                    flush=True,
                )
    return {key: median_result(results) for key, results in runs.items()}


def paced_delay_ms(connections: int, target_rps: float, latency_ms: float) -> int:
    """wrk's per-connection pause (whole ms) for `target_rps` when a request takes `latency_ms`."""
    return max(1, round(1000 * connections / target_rps - latency_ms))


def paced(server: Server, case: Case, args: argparse.Namespace, target_rps: float) -> Result:
    """The case at about `target_rps`: a pilot run measures latency there, then the repeats."""
    guess = paced_delay_ms(args.connections, target_rps, 1.0)
    pilot = run_wrk(server, case, args, PILOT_SECONDS, guess)
    # A connection's cycle is its pause plus a request's latency at this rate.
    latency_ms = max(0.0, 1000 * args.connections / pilot.rps - guess)
    delay = paced_delay_ms(args.connections, target_rps, latency_ms)
    runs = [run_wrk(server, case, args, args.seconds, delay) for _ in range(args.repeats)]
    return median_result(runs)


def half_peak(
    cases: Sequence[Case], servers: Servers, peaks: Results, args: argparse.Namespace
) -> Results:
    """The search cases paced to about half their peak rate: p99 under ordinary load."""
    return {
        (v.name, case.name): paced(
            servers[v.name, case.server], case, args, peaks[v.name, case.name].rps / 2
        )
        for case in cases
        if case.name.startswith("search")
        for v in args.variant
    }


def fetch(url: str, body: bytes | None = None) -> bytes:
    """The body of a GET, or of a JSON POST when `body` is given."""
    headers = {"Content-Type": "application/json"} if body is not None else {}
    asked = urllib.request.Request(url, data=body, headers=headers)
    with urllib.request.urlopen(asked, timeout=10) as response:
        return bytes(response.read())


def check_same_answer(ours: Server, lookup: Server, requests_file: Path) -> None:
    """Stop unless the baseline answers a features request exactly as our service does."""
    _, path, body = requests_file.read_text().splitlines()[0].split("\t")
    if fetch(ours.base_url + path, body.encode()) != fetch(lookup.base_url + path, body.encode()):
        raise SystemExit(
            "the lookup baseline answers otherwise than our service: delete "
            f"{ROWS_FILE} to compute its rows again"
        )


def _ratio(result: Result, reference: Result | None) -> str:
    return f"{result.rps / reference.rps:.2f}x" if reference else "-"


def _row(name: str, result: Result, ceiling: Result | None, lookup: Result | None) -> list[str]:
    splits = " ".join("/".join(f"{share:.0%}" for share in split) for split in result.cpu_splits)
    return [
        name,
        f"{result.rps:,.0f}",
        f"{result.p50_ms:.2f}",
        f"{result.p99_ms:.2f}",
        str(result.errors),
        _ratio(result, ceiling),
        _ratio(result, lookup),
        splits,
    ]


def verdicts(peaks: dict[str, Result], paced: dict[str, Result]) -> list[str]:
    """Each target from the issue with the measured figure and whether it was met."""
    lines = []
    ceiling = peaks.get("ceiling")
    for name, share in CEILING_TARGETS.items():
        if ceiling and name in peaks:
            got = peaks[name].rps / ceiling.rps
            lines.append(f"{name} >= {share}x ceiling: {got:.2f}x {_met(got >= share)}")
    for name, baseline in LOOKUP_BASELINES.items():
        if name in peaks and baseline in peaks:
            got = peaks[name].rps / peaks[baseline].rps
            lines.append(
                f"{name} >= {LOOKUP_TARGET}x {baseline}: {got:.2f}x {_met(got >= LOOKUP_TARGET)}"
            )
    for name, result in paced.items():
        lines.append(
            f"{name} p99 <= {HALF_PEAK_P99_MS:.0f} ms at half peak (target "
            f"{peaks[name].rps / 2:,.0f}, ran {result.rps:,.0f} req/s): {result.p99_ms:.2f} ms "
            f"{_met(result.p99_ms <= HALF_PEAK_P99_MS)}"
        )
    for name, (baseline, multiple) in FEATURE_STORE_RPS.items():
        if name in peaks:
            got = peaks[name].rps / baseline
            lines.append(
                f"{name} >= {multiple}x a feature store's {baseline} req/s: {got:.1f}x "
                f"{_met(got >= multiple)}"
            )
    errors = sum(r.errors for r in [*peaks.values(), *paced.values()])
    lines.append(f"errors: {errors} {_met(errors == 0)}")
    return lines


def _met(ok: bool) -> str:
    return "(met)" if ok else "(MISSED)"


def variant_report(variant: Variant, peaks: Results, paced: Results, rss: Memory) -> str:
    """One variant's table (medians, ratios to its own ceiling and lookup baseline, CPU
    splits), verdicts and the baseline's memory per worker."""
    mine = {case: r for (name, case), r in peaks.items() if name == variant.name}
    mine_paced = {case: r for (name, case), r in paced.items() if name == variant.name}
    ceiling = mine.get("ceiling")
    rows = [
        _row(c, r, None if c == "ceiling" else ceiling, mine.get(LOOKUP_BASELINES.get(c, "")))
        for c, r in mine.items()
    ]
    rows += [_row(f"{c} @ half peak", r, None, None) for c, r in mine_paced.items()]
    header = ["case", "req/s", "p50 ms", "p99 ms", "errors", "/ceiling", "/lookup", "worker cpu"]
    title = f"== {variant.name}: gunicorn.conf.py {' '.join(variant.gunicorn_args)}".rstrip()
    lines = verdicts(mine, mine_paced)
    if variant.name in rss:
        sizes = ", ".join(f"{size / 2**20:,.0f}" for size in rss[variant.name])
        lines.append(f"lookup baseline, private memory (RssAnon) per worker: {sizes} MB")
    return "\n\n".join([title, table(header, rows), "\n".join(lines)])


def report(args: argparse.Namespace, peaks: Results, paced: Results, rss: Memory) -> str:
    """The whole report as text: the run's settings, then each variant."""
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    head = (
        f"code {code_version()}; wrk -t{args.threads} -c{args.connections}, "
        f"{args.seconds} s x {args.repeats} "
        f"(medians), {args.workers} workers; nproc {os.cpu_count()}; load average {load}"
    )
    return "\n\n".join([head, *(variant_report(v, peaks, paced, rss) for v in args.variant)])


def build_cases(files: dict[str, Path], only: str) -> list[Case]:
    """The cases to run, ceiling first."""
    chosen = {n.strip() for n in only.split(",") if n.strip()}
    cases = [
        Case("ceiling", "ceiling", files["ceiling"], warm_up=True),
        Case("ceiling_42k", "ceiling", files["ceiling_42k"], warm_up=True),
        Case("search_warm", "ours", files["search_warm"], warm_up=True),
        Case("search_cold", "ours", files["search_cold"], warm_up=False),
        Case("features_48", "ours", files["features_48"], warm_up=False),
        Case("features_48_nocache", "ours_nocache", files["features_48"], warm_up=False),
        Case("lookup_48", "lookup", files["features_48"], warm_up=False),
        Case("features_500", "ours", files["features_500"], warm_up=False),
        Case("features_500_nocache", "ours_nocache", files["features_500"], warm_up=False),
        Case("lookup_500", "lookup", files["features_500"], warm_up=False),
        Case("features_500_warm", "ours", files["features_500_warm"], warm_up=True),
        Case("features_500_arrow", "ours", files["features_500"], False, accept=ARROW_STREAM),
    ]
    return [c for c in cases if not chosen or c.name in chosen]


def start_servers(
    stack: ExitStack,
    variant: Variant,
    files: dict[str, Path],
    kinds: set[str],
    args: argparse.Namespace,
) -> dict[str, Server]:
    """Our service and the other servers of `kinds`, all under `variant`; stopped when
    `stack` closes."""
    work = WORK_DIR / variant.name
    work.mkdir(parents=True, exist_ok=True)
    options = {"workers": args.workers, "extra_args": variant.gunicorn_args}
    ours = stack.enter_context(serving(server_env(STORE_DIR), work / "ours.log", **options))
    servers = {"ours": ours}
    if "ceiling" in kinds:
        warm_path = files["search_warm"].read_text().split("\t")[1].strip()
        body_file = work / "ceiling_body.json"
        body_file.write_bytes(fetch(ours.base_url + warm_path))
        servers["ceiling"] = stack.enter_context(
            serving(
                server_env(STORE_DIR, {"TRUST_SIGNALS_CEILING_BODY": str(body_file)}),
                work / "ceiling.log",
                app="bench.ceiling_app:create_app()",
                ready_path="/v1/badges",
                **options,
            )
        )
        print(f"ceiling body {body_file.stat().st_size:,} bytes", flush=True)
    if "ours_nocache" in kinds:
        servers["ours_nocache"] = stack.enter_context(
            serving(
                server_env(STORE_DIR, {"TRUST_SIGNALS_CACHE_SIZE": "0"}),
                work / "ours_nocache.log",
                **options,
            )
        )
    if "lookup" in kinds:
        servers["lookup"] = stack.enter_context(
            serving(
                server_env(STORE_DIR, {ROWS_ENV: str(ROWS_FILE)}),
                work / "lookup.log",
                app="bench.lookup_app:create_app()",
                **options,
            )
        )
        check_same_answer(ours, servers["lookup"], files["features_48"])
    urls = ", ".join(f"{kind} {server.base_url}" for kind, server in servers.items())
    print(f"{variant.name}: {urls}", flush=True)
    return servers


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        print(
            "wrk not found on PATH: install it (apt-get install -y wrk), then rerun",
            file=sys.stderr,
        )
        return 2
    args.variant = args.variant or [Variant("production", ())]
    dirs = ensure_snapshot(SNAPSHOT_DIR)
    ensure_loaded(SNAPSHOT_DIR, STORE_DIR)
    markets = dict(offer_ids(d) for d in dirs)
    files = write_request_files(markets, args.seed, WORK_DIR)
    cases = build_cases(files, args.only)
    kinds = {case.server for case in cases}
    if "lookup" in kinds:
        ensure_rows(markets)
    with ExitStack() as stack:
        servers = {
            (v.name, kind): server
            for v in args.variant
            for kind, server in start_servers(stack, v, files, kinds, args).items()
        }
        peaks = measure(cases, servers, args)
        paced = half_peak(cases, servers, peaks, args)
        rss = {
            v.name: [s.rss_bytes for s in sample_workers(servers[v.name, "lookup"].pid).values()]
            for v in args.variant
            if (v.name, "lookup") in servers
        }
    text = report(args, peaks, paced, rss)
    print(text)
    (WORK_DIR / "last-report.txt").write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
