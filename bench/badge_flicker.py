"""Benchmark: how often badges flip from one daily snapshot to the next, with the default
config's keep margins and with the same config without them (not a test).

Generates a base snapshot and a week of next days (`generate --from ... --drift`), then
loads and materializes each day in turn into a fresh store per config (SQLite in a temp
directory, or memory), and counts each badge's flips (gained + lost) between consecutive
days: a seller-level badge on sellers, an offer-level badge on offers, both per 1,000
sellers per day. The ratio of the two runs is the figure to compare; both run on the same
days. It stops by itself and deletes what it made.

Run from the repository root: `PYTHONPATH=. .venv/bin/python bench/badge_flicker.py`
(`--sellers`, `--offers`, `--days`, `--drift`, `--store memory`: see `-h`).
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from trust_signals.config import TrustConfig, default_config_path, parse_config
from trust_signals.ingest.drift import drift_snapshot
from trust_signals.ingest.generator import generate_snapshots
from trust_signals.ingest.loader import load_snapshot
from trust_signals.ingest.manifest import read_manifest
from trust_signals.service.cohort_artifacts import ArtifactBuilder, CohortModel
from trust_signals.service.materializer import materialize_snapshot
from trust_signals.service.signal_rows import LAYOUT_ID, META, OFFERS, SELLERS, RowLayout
from trust_signals.store.activation import activate_loaded
from trust_signals.store.base import ServingStore, SnapshotInfo
from trust_signals.store.memory import InMemorySnapshotStore
from trust_signals.store.sqlite import SqliteSnapshotStore

AS_OF = date(2026, 11, 27)
_BATCH = 2_000  # ids per row read


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sellers", type=int, default=3_000)
    parser.add_argument("--offers", type=int, default=30_000)
    parser.add_argument("--marketplace", default="US")
    parser.add_argument("--days", type=int, default=7, help="next days after the base one")
    parser.add_argument("--drift", type=float, default=0.05, help="relative day-to-day change")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--store", choices=("sqlite", "memory"), default="sqlite")
    return parser.parse_args(argv)


def without_margins(text: str) -> str:
    """The config text with every keep_margin line taken out (everything else the same)."""
    stripped, count = re.subn(r"(?m)^keep_margin = .*\n", "", text)
    if count == 0:
        raise SystemExit("the default config has no keep_margin to compare against")
    return stripped


@dataclass
class Flips:
    """One config's run: flips and holders per badge, summed over the days."""

    level: dict[str, str]  # badge id -> 'seller' | 'offer'
    gained: Counter[str] = field(default_factory=Counter)
    lost: Counter[str] = field(default_factory=Counter)
    holders: Counter[str] = field(default_factory=Counter)  # summed over the days compared
    seconds: float = 0.0  # loading, materializing and reading back every day
    materialize_seconds: float = 0.0  # of which computing and storing the signals

    per_entity: Counter[tuple[str, str]] = field(default_factory=Counter)  # (badge, id) flips

    def add(self, before: dict[str, frozenset[str]], after: dict[str, frozenset[str]]) -> None:
        for entity_id, now in after.items():
            then = before.get(entity_id, frozenset())
            self.gained.update(now - then)
            self.lost.update(then - now)
            self.holders.update(now)
            self.per_entity.update((badge, entity_id) for badge in now ^ then)

    def back_and_forth(self, badge: str, sellers: int) -> float:
        """Sellers or offers whose badge flipped twice or more over the days (gained and
        lost again, or the reverse), per 1,000 sellers: flicker itself, not a trend."""
        count = sum(1 for (b, _), n in self.per_entity.items() if b == badge and n >= 2)
        return count * 1000 / sellers

    def per_thousand(self, badge: str, sellers: int, days: int) -> float:
        return (self.gained[badge] + self.lost[badge]) * 1000 / sellers / days


def met_sets(
    store: ServingStore, info: SnapshotInfo, config: TrustConfig
) -> Iterator[tuple[str, dict[str, frozenset[str]]]]:
    """('s' | 'o', entity id -> rules met) of a snapshot's stored signals: sellers' rows for
    seller-level badges, offers' for offer-level ones (inherited badges are their sellers')."""
    market = config.for_marketplace(info.marketplace)
    version = market.signals_version
    [blob] = store.get_signal_rows(info.snapshot_id, version, META, [LAYOUT_ID])
    assert blob is not None
    layout = RowLayout.from_bytes(blob)
    level = {c.rule.id: c.rule.level for c in market.rules}
    sellers = list(store.seller_ids(info.snapshot_id))
    offers = [
        o.offer_id
        for start in range(0, len(sellers), _BATCH)
        for o in store.offers_of_sellers(info.snapshot_id, sellers[start : start + _BATCH])
    ]
    for kind, ids, wanted in ((SELLERS, sellers, "seller"), (OFFERS, offers, "offer")):
        met = {}
        by_mask: dict[int, frozenset[str]] = {}
        for start in range(0, len(ids), _BATCH):
            chunk = ids[start : start + _BATCH]
            rows = store.get_signal_rows(info.snapshot_id, version, kind, chunk)
            for entity_id, row in zip(chunk, rows, strict=True):
                assert row is not None
                mask = int.from_bytes(row[:8], "little")
                if mask not in by_mask:
                    by_mask[mask] = frozenset(r for r in layout.met(mask) if level[r] == wanted)
                met[entity_id] = by_mask[mask]
        yield kind, met


class Run:
    """One config's store, fed the days in turn: its flips between consecutive days."""

    def __init__(self, config: TrustConfig, store: ServingStore) -> None:
        self.config, self.store = config, store
        self.flips = Flips({c.rule.id: c.rule.level for c in config.base.rules})
        self._model = CohortModel(config.cohort_spec, config.params)
        self._previous: dict[str, dict[str, frozenset[str]]] | None = None

    def day(self, directory: Path) -> None:
        """Load and materialize one day, as `trust-signals load` does
        (bootstrap.load_snapshot_dir) with the signals timed, then count its flips."""
        started = time.perf_counter()
        artifacts = ArtifactBuilder.of(self._model, read_manifest(directory).as_of)
        info = load_snapshot(directory, self.store, activate=False, cohort_artifacts=artifacts)
        materializing = time.perf_counter()
        materialize_snapshot(self.store, info, self.config)
        self.flips.materialize_seconds += time.perf_counter() - materializing
        info = activate_loaded(self.store, info, max_shrink=None)
        self.store.prune(self.config.retained_snapshots)
        current = dict(met_sets(self.store, info, self.config))
        if self._previous is not None:
            for kind, met in current.items():
                self.flips.add(self._previous[kind], met)
        self._previous = current
        self.flips.seconds += time.perf_counter() - started


def run_both(days: Sequence[Path], first: Run, second: Run) -> None:
    """Each day into both stores, which goes first alternating: the machine's load (shared
    cores) weighs on both timings alike."""
    for index, directory in enumerate(days):
        for run in (first, second) if index % 2 == 0 else (second, first):
            run.day(directory)


def open_store(kind: str, root: Path) -> ServingStore:
    return InMemorySnapshotStore() if kind == "memory" else SqliteSnapshotStore(root)


def make_days(args: argparse.Namespace, out: Path) -> list[Path]:
    """The base snapshot and `days` next days, each drifted from the one before."""
    [base] = generate_snapshots(
        out / "day0",
        sellers=args.sellers,
        offers=args.offers,
        marketplaces=[args.marketplace],
        seed=args.seed,
        as_of=AS_OF,
    )
    days = [base]
    for day in range(1, args.days + 1):
        target = out / f"day{day}" / args.marketplace
        days.append(drift_snapshot(days[-1], target, drift=args.drift, seed=args.seed))
    return days


def report(args: argparse.Namespace, sellers: int, with_: Flips, without: Flips) -> None:
    days = args.days
    print(
        f"\nper 1,000 sellers: badge flips (gained + lost) per day over {days} day-to-day "
        f"changes; flickering: sellers or offers that flipped twice or more in the {days} days"
    )
    print(f"{'':<29}{'flips/day':^26}{'flickering':^26}{'holders/day':^20}")
    print(f"{'badge':<22}{'level':>7}" + f"{'none':>9}{'margins':>9}{'ratio':>8}" * 2
          + f"{'none':>10}{'margins':>10}")  # fmt: skip
    totals = [0.0, 0.0, 0.0, 0.0]
    for badge in sorted(with_.level):
        row = [
            without.per_thousand(badge, sellers, days),
            with_.per_thousand(badge, sellers, days),
            without.back_and_forth(badge, sellers),
            with_.back_and_forth(badge, sellers),
        ]
        totals = [t + r for t, r in zip(totals, row, strict=True)]
        print(
            f"{badge:<22}{with_.level[badge]:>7}{_pair(row[0], row[1])}{_pair(row[2], row[3])}"
            f"{without.holders[badge] / days:>10.0f}{with_.holders[badge] / days:>10.0f}"
        )
    print(f"{'total':<29}{_pair(totals[0], totals[1])}{_pair(totals[2], totals[3])}")
    print(f"\nload + materialize + read back, {days + 1} days: no margins {without.seconds:.1f} s, "
          f"margins {with_.seconds:.1f} s")  # fmt: skip
    print(f"of which materialize: no margins {without.materialize_seconds:.1f} s, margins "
          f"{with_.materialize_seconds:.1f} s (ratio "
          f"{with_.materialize_seconds / without.materialize_seconds:.2f}; the previous day's "
          "rows read included)")  # fmt: skip


def _pair(plain: float, kept: float) -> str:
    ratio = f"{kept / plain:.2f}" if plain else "-"
    return f"{plain:>9.1f}{kept:>9.1f}{ratio:>8}"


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    text = default_config_path().read_text()
    with_margins = parse_config(text, "default config")
    no_margins = parse_config(without_margins(text), "default config without keep_margin")
    print(f"{args.sellers:,} sellers and {args.offers:,} offers in {args.marketplace}, "
          f"a base day and {args.days} next days at drift {args.drift}, seed {args.seed}, "
          f"{args.store} store")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="badge-flicker-") as scratch:
        root = Path(scratch)
        started = time.perf_counter()
        days = make_days(args, root)
        print(f"generated {len(days)} days in {time.perf_counter() - started:.1f} s")
        without = Run(no_margins, open_store(args.store, root / "store-no-margins"))
        with_ = Run(with_margins, open_store(args.store, root / "store-margins"))
        run_both(days, without, with_)
    sellers = args.sellers  # the marketplace's sellers, its first-party one included
    report(args, sellers, with_.flips, without.flips)


if __name__ == "__main__":
    main()
