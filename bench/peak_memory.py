"""Run a command and report its wall time and peak memory, its worker processes included.

`/usr/bin/time` reports one process's peak; a command that spawns a pool (`config preview`,
`materialize`) spreads its work over several, so this samples the whole process tree from
/proc every 0.1 s: the peak of the RSS summed over the tree, and each process's own peak
(VmHWM). RSS counts the pages of memory-mapped store files a process has read, which the
processes share through the OS cache.

    PYTHONPATH=. .venv/bin/python bench/peak_memory.py COMMAND [ARG ...]
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

SAMPLE_SECONDS = 0.1


def process_tree(pid: int) -> list[int]:
    """The process and every descendant alive now."""
    found = [pid]
    for parent in found:
        for children in Path(f"/proc/{parent}/task").glob("*/children"):
            try:
                found += [int(child) for child in children.read_text().split()]
            except OSError:  # the task ended while being read
                continue
    return found


def status_mib(pid: int, key: str) -> float:
    """A memory figure of /proc/PID/status in MiB; 0 once the process is gone."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return 0.0
    return next((int(line.split()[1]) / 1024 for line in lines if line.startswith(key)), 0.0)


def main(command: list[str]) -> int:
    started = time.perf_counter()
    process = subprocess.Popen(command)
    peak_sum = 0.0
    peaks: dict[int, float] = {}
    while process.poll() is None:
        tree = process_tree(process.pid)
        peak_sum = max(peak_sum, sum(status_mib(pid, "VmRSS") for pid in tree))
        for pid in tree:
            peaks[pid] = max(peaks.get(pid, 0.0), status_mib(pid, "VmHWM"))
        time.sleep(SAMPLE_SECONDS)
    wall = time.perf_counter() - started
    each = ", ".join(f"{mib:.0f}" for mib in sorted(peaks.values(), reverse=True))
    print(
        f"exit {process.returncode}; wall {wall:.1f} s; peak RSS summed over the process tree "
        f"{peak_sum:.0f} MiB; each process's peak (VmHWM): {each} MiB",
        file=sys.stderr,
    )
    return process.returncode


if __name__ == "__main__":
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    raise SystemExit(main(sys.argv[1:]))
