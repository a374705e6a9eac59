"""Request files for wrk (bench/wrk_requests.lua), drawn from the benchmark snapshot's offers.

A line is "METHOD<TAB>PATH" or "METHOD<TAB>PATH<TAB>JSON BODY"; the Lua script picks one at
random per request. Warm files hold one request (the same ids every time, so every offer is
cached after the first call); cold files hold one request per random page, the pages cutting
through a shuffle of every offer id, so a request rarely finds its offers cached.
"""

from __future__ import annotations

import gzip
import random
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Final

import orjson

SEARCH_IDS: Final = 48
RANKING_IDS: Final = 500


def offer_ids(directory: Path) -> tuple[str, list[str]]:
    """A snapshot directory's marketplace and every offer id, in file order."""
    manifest = orjson.loads((directory / "manifest.json").read_bytes())
    path = directory / manifest["files"]["offers"]["path"]
    opener: Callable[..., Any] = gzip.open if path.suffix == ".gz" else open
    prefix = b'{"offer_id":"'
    with opener(path, "rb") as lines:
        ids = [
            line[len(prefix) : line.index(b'"', len(prefix))].decode()
            if line.startswith(prefix)
            else orjson.loads(line)["offer_id"]
            for line in lines
        ]
    return manifest["marketplace"], ids


def _pages(ids: list[str], size: int, rng: random.Random) -> Iterator[list[str]]:
    shuffled = ids[:]
    rng.shuffle(shuffled)
    for start in range(0, len(shuffled) - size + 1, size):
        yield shuffled[start : start + size]


def badges_line(marketplace: str, ids: Sequence[str]) -> str:
    """A GET /v1/badges request line for the Lua script."""
    return f"GET\t/v1/badges?marketplace={marketplace}&surface=search&offer_ids={','.join(ids)}"


def features_line(marketplace: str, ids: Sequence[str]) -> str:
    """A POST /v1/features request line for the Lua script."""
    body = orjson.dumps({"marketplace": marketplace, "offer_ids": list(ids)}).decode()
    return f"POST\t/v1/features\t{body}"


def write_request_files(
    markets: dict[str, list[str]], seed: int, work_dir: Path
) -> dict[str, Path]:
    """One request file per case: a fixed request (warm) or one per random page (cold)."""
    work_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    first = next(iter(markets))
    lines = {
        "search_warm": [badges_line(first, markets[first][:SEARCH_IDS])],
        "features_500_warm": [features_line(first, markets[first][:RANKING_IDS])],
        "search_cold": [],
        "features_48": [],
        "features_500": [],
    }
    for market, ids in markets.items():
        lines["search_cold"] += [badges_line(market, p) for p in _pages(ids, SEARCH_IDS, rng)]
        lines["features_48"] += [features_line(market, p) for p in _pages(ids, 48, rng)]
        lines["features_500"] += [features_line(market, p) for p in _pages(ids, RANKING_IDS, rng)]
    lines["ceiling"] = lines["search_warm"]
    lines["ceiling_42k"] = ["GET\t/v1/static42k"]
    files = {}
    for name, content in lines.items():
        files[name] = work_dir / f"{name}.txt"
        files[name].write_text("\n".join(content) + "\n")
    return files
