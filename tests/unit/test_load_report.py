"""The load report's per-worker figures: CPU between two samples, private memory over a run."""

from __future__ import annotations

import mmap
import os
from pathlib import Path

from load_tests.report import server_latencies, worker_usage
from load_tests.server import ProcessSample, sample_process

MB = 1024 * 1024


def test_worker_usage_reads_cpu_between_samples_and_memory_first_half_max_last() -> None:
    before = {7: ProcessSample(7, 10.0, 50 * MB)}
    after = {7: ProcessSample(7, 40.0, 90 * MB)}
    series = [{7: ProcessSample(7, 0.0, mb * MB)} for mb in (60, 80, 120, 100, 90)]

    (usage,) = worker_usage(before, after, series, seconds=60.0)

    assert (usage.cpu_seconds, usage.core_share) == (30.0, 0.5)
    assert (usage.rss_first_mb, usage.rss_half_mb, usage.rss_max_mb, usage.rss_last_mb) == (
        60,
        120,
        120,
        90,
    )


def test_a_process_sample_counts_private_memory_not_the_pages_of_mapped_files(
    tmp_path: Path,
) -> None:
    """Workers map their snapshot files; the pages they read are shared, not theirs."""
    path = tmp_path / "mapped.bin"
    path.write_bytes(b"x" * (64 * MB))
    before = sample_process(os.getpid())

    with path.open("rb") as file, mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        touched = sum(mapped[i] for i in range(0, len(mapped), mmap.PAGESIZE))
        after = sample_process(os.getpid())

    assert touched == ord("x") * (64 * MB // mmap.PAGESIZE)
    assert after.rss_bytes - before.rss_bytes < 16 * MB
    assert after.cpu_seconds >= before.cpu_seconds > 0


def test_server_latencies_read_request_lines_and_skip_the_app_events(tmp_path: Path) -> None:
    log = tmp_path / "gunicorn.log"
    log.write_text(
        '{"ts":"2026-12-02T17:00:00.000+00:00","level":"error","logger":"x","message":"m"}\n'
        '{"ts":"2026-12-02T17:00:00.001+00:00","method":"GET","path":"/v1/badges",'
        '"status":200,"duration_ms":2.0}\n'
        "[2026-12-02 17:00:00] plain text from before the logger was set up\n"
    )

    found = server_latencies(log)

    assert list(found) == ["search"]
