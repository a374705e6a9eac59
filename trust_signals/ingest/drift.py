"""The next days of a snapshot: the same sellers and offers, `as_of` moved on, counts drifted.

A daily snapshot differs from the day before by a small relative change of every count; that
change is what makes a badge whose value sits at its threshold flicker. `drift_snapshot`
makes such a day from any valid snapshot, in its own file format:

- Each window is cut into its periods (the last 30 days, the 60 before, the 275 before
  those), since a window holds the shorter ones: 30d ⊂ 90d ⊂ 365d.
- Per period, the volumes (orders, contacts, feedback, transactions, sales, ratings) move by
  a factor e^(drift·z), z standard normal, shared by a seller and all its offers (a shop's
  trade grows or shrinks as a whole). Every event count then follows its opportunity count
  and moves by a factor e^(drift·z) of its own, on its rate: `drift` is the relative
  day-to-day change of a count (log-normal; 0.05 moves a count by about 5 %).
- Counts are whole numbers rounded at random (the expected count is kept), with half an
  event of smoothing, so a clean record may now and then pick up a first defect; each event
  stays within its opportunity, on-time and late deliveries within the orders.
- The periods are summed back into windows, so every window holds the shorter ones.
  `tenure_days` grows by a day; ids, terms and the first sale date stay.

`days` applies the day-to-day change that many times, a random walk. Same input, seed and
days, same files.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Final

import orjson

from trust_signals.domain.snapshots import (
    OFFER_COUNT_BOUNDS,
    OFFER_COUNT_FIELDS,
    SELLER_COUNT_BOUNDS,
    SELLER_COUNT_FIELDS,
    WINDOWS,
)
from trust_signals.errors import SnapshotRejected
from trust_signals.ingest.chunks import read_chunks, read_row_batches
from trust_signals.ingest.data_files import Progress, Record, write_records
from trust_signals.ingest.manifest import MANIFEST_NAME, Manifest, read_manifest
from trust_signals.ingest.parquet import batch_records, is_parquet
from trust_signals.ingest.validation import OFFERS, SELLERS, RecordKind, validated

_AMOUNTS: Final = ("sales_amount", "domestic_sales_amount")
_SMOOTHING: Final = 0.5  # events added before scaling and taken off after


@dataclass(frozen=True, slots=True)
class _Counts:
    """How one record kind's counts hang together: roots first, each event after its
    opportunity, and (a, b, total) sums where a + b may not exceed total."""

    order: tuple[str, ...]  # scalar counts, every opportunity before its events
    opportunity: Mapping[str, str]
    sums: tuple[tuple[str, str, str], ...]
    roots: tuple[str, ...]  # the scalar volumes: all zero, nothing happened in the period
    zero: Mapping[str, Any]  # a period in which nothing happened

    @classmethod
    def of(cls, names: Sequence[str], bounds: Sequence[tuple[str, str]], sums: Any) -> _Counts:
        opportunity = dict(bounds)
        scalar = [n for n in names if n not in _AMOUNTS and n != "ratings"]

        def depth(name: str) -> int:
            return 0 if name not in opportunity else 1 + depth(opportunity[name])

        roots = tuple(n for n in scalar if n not in opportunity)
        zero = {n: 0.0 if n in _AMOUNTS else [0] * 5 if n == "ratings" else 0 for n in names}
        return cls(tuple(sorted(scalar, key=depth)), opportunity, tuple(sums), roots, zero)

    def quiet(self, counts: Record) -> bool:
        """Whether nothing happened in these counts (no volume of any kind)."""
        return (
            not any(counts[n] for n in self.roots)
            and not any(counts.get("ratings", ()))
            and not counts.get("sales_amount", 0.0)
        )


_SELLER: Final = _Counts.of(SELLER_COUNT_FIELDS, SELLER_COUNT_BOUNDS, ())
_OFFER: Final = _Counts.of(
    OFFER_COUNT_FIELDS, OFFER_COUNT_BOUNDS, (("on_time_deliveries", "late_deliveries", "orders"),)
)


def check_drift(drift: float, days: int) -> None:
    """Raise ValueError naming the argument if `drift_snapshot` cannot use these."""
    if not (math.isfinite(drift) and 0.0 <= drift <= 1.0):
        raise ValueError("drift: must be a relative change between 0 and 1")
    if days < 1:
        raise ValueError("days: must be at least 1")


def drift_snapshot(
    source: Path,
    out_dir: Path,
    *,
    drift: float,
    seed: int,
    days: int = 1,
    progress: Progress | None = None,
) -> Path:
    """Write `source`'s snapshot `days` later into `out_dir` (its data files named as in
    `source`); `out_dir`. SnapshotRejected naming each bad record of the source, before
    the manifest is written."""
    check_drift(drift, days)
    manifest = read_manifest(source)
    as_of = manifest.as_of + timedelta(days=days)
    snapshot_id = _next_id(manifest, as_of.isoformat())
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / MANIFEST_NAME).unlink(missing_ok=True)  # written last: a broken run has none
    rng = random.Random(f"{seed}/{manifest.marketplace}/{as_of.isoformat()}")
    day = _Day(rng, drift, days)
    report = progress or _ignore
    sellers_path = out_dir / manifest.sellers.path
    seller_records = day.sellers(_records(source, manifest, SELLERS))
    if is_parquet(sellers_path):  # Parquet stores the first sale as a DATE
        seller_records = map(_with_date, seller_records)
    sellers = write_records(sellers_path, seller_records, report)
    offers = write_records(
        out_dir / manifest.offers.path, day.offers(_records(source, manifest, OFFERS)), report
    )
    written = {
        "schema_version": 1,
        "snapshot_id": snapshot_id,
        "marketplace": manifest.marketplace,
        "as_of": as_of.isoformat(),
        "files": {"sellers": sellers, "offers": offers},
    }
    (out_dir / MANIFEST_NAME).write_bytes(orjson.dumps(written, option=orjson.OPT_INDENT_2) + b"\n")
    return out_dir


def _next_id(manifest: Manifest, day: str) -> str:
    """The source's id with its date replaced, else MARKETPLACE-DAY."""
    old = manifest.as_of.isoformat()
    if old in manifest.snapshot_id:
        return manifest.snapshot_id.replace(old, day)
    return f"{manifest.marketplace}-{day}"


def _with_date(record: Record) -> Record:
    first_sale = record["first_sale_date"]
    return {**record, "first_sale_date": first_sale and date.fromisoformat(first_sale)}


def _ignore(records: int) -> None:
    """No progress to report."""


def _records(source: Path, manifest: Manifest, kind: RecordKind) -> Iterator[Record]:
    """The source file's records, each valid in its canonical form."""
    entry = manifest.sellers if kind is SELLERS else manifest.offers
    path = source / entry.path
    if is_parquet(path):
        raw: Iterator[Any] = (r for batch in read_row_batches(path) for r in batch_records(batch))
    else:
        raw = _lines(path)
    for number, record in enumerate(raw, start=1):
        checked, problems = validated(kind, record)
        if checked is None:
            raise SnapshotRejected([f"{entry.path}:{number}: {p}" for p in problems])
        yield checked


def _lines(path: Path) -> Iterator[Any]:
    for text in read_chunks(path):
        if text is None:
            raise SnapshotRejected([f"{path.name}: a record line is too long"])
        yield from map(orjson.loads, text.split(b"\n"))


class _Day:
    """The day-to-day change of every record, sellers first: their volume factors are their
    offers' too."""

    def __init__(self, rng: random.Random, drift: float, days: int) -> None:
        self._random, self._gauss = rng.random, rng.gauss
        self._drift, self._days = drift, days
        self._volumes: dict[str, list[tuple[float, ...]]] = {}  # seller -> per day, per period

    def sellers(self, records: Iterator[Record]) -> Iterator[Record]:
        for record in records:
            volumes = [self._volume() for _ in range(self._days)]
            self._volumes[record["seller_id"]] = volumes
            windows = record["windows"]
            for volume in volumes:
                windows = self._windows(_SELLER, windows, volume)
            yield {**record, "tenure_days": record["tenure_days"] + self._days, "windows": windows}

    def offers(self, records: Iterator[Record]) -> Iterator[Record]:
        for record in records:
            windows = record["windows"]
            # An offer of an unknown seller (the loader refuses it) drifts on its own.
            volumes = self._volumes.get(record["seller_id"]) or [self._volume()] * self._days
            for volume in volumes:
                windows = self._windows(_OFFER, windows, volume)
            yield {**record, "windows": windows}

    def _volume(self) -> tuple[float, ...]:
        return tuple(math.exp(self._drift * self._gauss()) for _ in WINDOWS)

    def _windows(
        self, counts: _Counts, windows: Mapping[str, Record], volume: tuple[float, ...]
    ) -> dict[str, Record]:
        """One day later: periods drifted, summed back into windows."""
        if counts.quiet(windows[WINDOWS[-1]]):  # nothing in a year: nothing to drift
            return dict(windows)
        periods = _periods(counts, [windows[w] for w in WINDOWS])
        drifted = [self._period(counts, p, v) for p, v in zip(periods, volume, strict=True)]
        out: dict[str, Record] = {}
        running: Record | None = None
        for window, period in zip(WINDOWS, drifted, strict=True):
            running = period if running is None else _added(running, period)
            out[window] = running
        return out

    def _period(self, counts: _Counts, old: Record, volume: float) -> Record:
        if counts.quiet(old):
            return dict(counts.zero)
        new: Record = {}
        for name in counts.order:
            opportunity = counts.opportunity.get(name)
            if opportunity is None:
                new[name] = self._whole(old[name] * volume)
                continue
            before, after = old[opportunity], new[opportunity]
            if not after or not before:
                new[name] = 0
                continue
            rate = math.exp(self._drift * self._gauss())
            expected = (old[name] + _SMOOTHING) * after / before * rate - _SMOOTHING
            new[name] = min(after, self._whole(expected))
        for first, second, total in counts.sums:
            new[second] = min(new[second], new[total] - new[first])
        if "ratings" in old:
            new["ratings"] = [self._whole(n * volume) for n in old["ratings"]]
        if "sales_amount" in old:
            sales = round(old["sales_amount"] * volume, 2)
            share = old["domestic_sales_amount"] / old["sales_amount"] if sales else 0.0
            new["sales_amount"] = sales
            new["domestic_sales_amount"] = min(sales, round(sales * share, 2))
        return {name: new[name] for name in old}

    def _whole(self, expected: float) -> int:
        """A whole count whose expectation is `expected` (at least 0)."""
        if expected <= 0.0:
            return 0
        floor = math.floor(expected)
        return floor + (self._random() < expected - floor)


def _periods(counts: _Counts, windows: Sequence[Record]) -> list[Record]:
    """The windows cut into disjoint periods: the newest, then each longer window's rest
    (never below zero, so a source whose windows do not nest still gives valid counts)."""
    periods = [dict(windows[0])]
    for shorter, longer in zip(windows, windows[1:], strict=False):
        period: Record = {n: max(0, longer[n] - shorter[n]) for n in counts.order}
        if "ratings" in longer:
            period["ratings"] = [
                max(0, a - b) for a, b in zip(longer["ratings"], shorter["ratings"], strict=True)
            ]
        for name in _AMOUNTS:
            if name in longer:
                period[name] = max(0.0, round(longer[name] - shorter[name], 2))
        if "sales_amount" in period:
            period["domestic_sales_amount"] = min(
                period["domestic_sales_amount"], period["sales_amount"]
            )
        periods.append({name: period[name] for name in longer})
    return periods


def _added(earlier: Record, later: Record) -> Record:
    """Two periods' counts added, in the record's field order (amounts rounded to cents)."""
    total: Record = {}
    for name, value in earlier.items():
        if name == "ratings":
            total[name] = [a + b for a, b in zip(value, later[name], strict=True)]
        elif name in _AMOUNTS:
            total[name] = round(value + later[name], 2)
        else:
            total[name] = value + later[name]
    return total
