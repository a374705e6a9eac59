"""Synthetic snapshot generator: realistic, deterministic snapshot directories streamed to disk."""

from __future__ import annotations

import math
import random
import re
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import accumulate
from pathlib import Path
from typing import Final

import orjson

from trust_signals.domain.snapshots import OFFER_COUNT_FIELDS, WINDOWS
from trust_signals.ingest.data_files import Progress, Record, write_records
from trust_signals.ingest.manifest import MANIFEST_NAME, SCHEMA_VERSION
from trust_signals.ingest.synthetic_counts import CountSampler, seller_windows
from trust_signals.ingest.synthetic_offers import (
    OfferRates,
    draw_offer_terms,
    offer_periods,
    offer_rates,
    offer_windows,
)
from trust_signals.ingest.synthetic_profiles import SellerProfile, draw_seller_profiles

_MARKETPLACE: Final = re.compile(r"[A-Z]{2}")
# Share of sellers and offers per store, largest first; the last of three is an emerging store.
_SPLITS: Final = {1: (1.0,), 2: (0.7, 0.3), 3: (0.6, 0.3, 0.1)}
_ZIPF_EXPONENT: Final = 1.1
_MEAN_ORDERS_PER_OFFER: Final = 40.0  # per year at full selling time; sets the Zipf scale
# First-party retail's orders beyond its listed offers, as a share of the offers' volume.
_RETAIL_UNLISTED_SHARE: Final = 0.15
_PER_SELLER: Final = len(WINDOWS) * len(OFFER_COUNT_FIELDS)  # offer totals: period x count

FILE_FORMATS: Final = ("jsonl", "parquet")
# Data file names' ending by (format, compress): Parquet files compress their own pages.
_SUFFIXES: Final = {
    ("jsonl", True): ".jsonl.gz",
    ("jsonl", False): ".jsonl",
    ("parquet", True): ".parquet",
    ("parquet", False): ".parquet",
}


@dataclass(frozen=True, slots=True)
class _Market:
    code: str
    index: int  # 0 for the largest store
    sellers: int
    offers: int
    products: int  # product id range, shared by all stores


def generate_snapshots(
    out_dir: Path,
    *,
    sellers: int,
    offers: int,
    marketplaces: Sequence[str],
    seed: int,
    as_of: date,
    compress: bool = True,
    file_format: str = "jsonl",
    progress: Progress | None = None,
) -> list[Path]:
    """Write one snapshot directory per marketplace, out_dir/<MP>; the directories, in order.

    sellers and offers are totals split across the marketplaces, the first largest; each store
    also counts its first-party retailer among its sellers. Same arguments, same bytes.
    `progress` is told the records written since its last call; they add up to
    sellers + offers. `file_format` is one of FILE_FORMATS; `compress` gzips JSONL files (Parquet
    files compress their own pages). Same records in either format. Raises ValueError, before
    writing anything, on arguments it cannot meet.
    """
    codes = list(marketplaces)
    check_arguments(codes, sellers, offers, file_format)
    weights = _SPLITS.get(len(codes)) or tuple(0.5**i for i in range(len(codes)))
    seller_split = split_total(sellers - len(codes), weights)  # one seat each is the 1P seller
    offer_split = split_total(offers, weights)
    products = max(1, offers * 2 // 3)  # several sellers offer the same product
    return [
        _write_snapshot(
            Path(out_dir) / code,
            _Market(code, index, seller_split[index] + 1, offer_split[index], products),
            seed=seed,
            as_of=as_of,
            suffix=_SUFFIXES[file_format, compress],
            progress=progress or _ignore,
        )
        for index, code in enumerate(codes)
    ]


def split_total(total: int, weights: Sequence[float]) -> list[int]:
    """total split in proportion to weights, by largest remainder (parts sum to total)."""
    scale = total / math.fsum(weights)
    parts = [int(w * scale) for w in weights]
    by_remainder = sorted(range(len(weights)), key=lambda i: (parts[i] - weights[i] * scale, i))
    for i in by_remainder[: total - sum(parts)]:
        parts[i] += 1
    return parts


def check_arguments(
    codes: Sequence[str], sellers: int, offers: int, file_format: str = "jsonl"
) -> None:
    """Raise ValueError naming the argument if generate_snapshots cannot meet these."""
    if file_format not in FILE_FORMATS:
        raise ValueError(f"file_format: must be one of {', '.join(FILE_FORMATS)}")
    if not codes or len(set(codes)) != len(codes):
        raise ValueError("marketplaces: must name at least one marketplace, each once")
    bad = [code for code in codes if not _MARKETPLACE.fullmatch(code)]
    if bad:
        raise ValueError(f"marketplaces: {bad} are not two upper-case letters")
    if sellers < len(codes):
        raise ValueError(f"sellers: need at least one per marketplace ({len(codes)})")
    if offers < 0:
        raise ValueError("offers: must be non-negative")


def _ignore(records: int) -> None:
    """No progress to report."""


def _write_snapshot(
    directory: Path, market: _Market, *, seed: int, as_of: date, suffix: str, progress: Progress
) -> Path:
    """One marketplace's snapshot; the manifest is written last, so a broken run has none."""
    directory.mkdir(parents=True, exist_ok=True)
    manifest_path = directory / MANIFEST_NAME
    manifest_path.unlink(missing_ok=True)
    # One stream per store, seeded by a string (hashed with SHA-512, stable across processes).
    rng = random.Random(f"{seed}/{market.code}")
    profiles = draw_seller_profiles(
        rng,
        market.code,
        market.sellers,
        as_of,
        market_index=market.index,
        retail_orders_per_year=_RETAIL_UNLISTED_SHARE * _MEAN_ORDERS_PER_OFFER * market.offers,
    )
    # Per seller, its offers' counts summed per period: filled by the offers, read by sellers.
    offer_totals = [0] * (_PER_SELLER * len(profiles))
    offer_records = _offer_records(rng, market, profiles, offer_totals)
    offers_entry = write_records(directory / f"offers{suffix}", offer_records, progress)
    seller_records = _seller_records(rng, market.code, profiles, offer_totals)
    sellers_entry = write_records(directory / f"sellers{suffix}", seller_records, progress)
    manifest = {
        "schema_version": SCHEMA_VERSION,
        "snapshot_id": f"{market.code}-{as_of.isoformat()}",
        "marketplace": market.code,
        "as_of": as_of.isoformat(),
        "files": {"sellers": sellers_entry, "offers": offers_entry},
    }
    manifest_path.write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2) + b"\n")
    return directory


def _offer_records(
    rng: random.Random, market: _Market, profiles: list[SellerProfile], offer_totals: list[int]
) -> Iterator[Record]:
    """Offer records, one at a time, adding each one's counts to its seller's.

    Sellers are picked in proportion to their catalogue weight (big sellers list more); volume
    is Zipf over a pseudo-random popularity rank, so a few hot offers carry much of the orders.
    """
    code, count, products = market.code, market.offers, market.products
    sampler = CountSampler(rng)
    cumulative = list(accumulate(p.offer_weight for p in profiles))
    top_orders = _MEAN_ORDERS_PER_OFFER * count / _zipf_norm(count)
    stride, offset = _rank_permutation(rng, count)
    rates_by_seller_channel: dict[tuple[int, str], OfferRates] = {}
    # One all-zero window shared by every quiet offer.
    zero_windows = dict.fromkeys(WINDOWS, dict.fromkeys(OFFER_COUNT_FIELDS, 0))
    rand, gauss, exp = rng.random, rng.gauss, math.exp
    for n in range(count):
        index = min(len(profiles) - 1, bisect_right(cumulative, rand() * cumulative[-1]))
        seller = profiles[index]
        channel, handling_days, return_window_days, free_returns = draw_offer_terms(rng, seller)
        rates = rates_by_seller_channel.get((index, channel))
        if rates is None:
            rates = rates_by_seller_channel[index, channel] = offer_rates(seller, channel)
        yearly_orders = top_orders * ((stride * n + offset) % count + 1) ** -_ZIPF_EXPONENT
        # The offer's own quality varies around its seller's (log-normal, sigma 0.35).
        defect_rate = min(0.9, rates.defect * exp(0.35 * gauss()))
        periods = offer_periods(sampler, yearly_orders, seller.period_shares, defect_rate, rates)
        yield {
            "offer_id": f"{code}-O{n + 1:08d}",
            "seller_id": seller.seller_id,
            "product_id": f"P{int(rand() * products) + 1:09d}",
            "marketplace": code,
            "fulfillment_channel": channel,
            "handling_days": handling_days,
            "return_window_days": return_window_days,
            "free_returns": free_returns,
            "windows": zero_windows
            if periods is None
            else offer_windows(periods, offer_totals, index * _PER_SELLER, zero_windows["30d"]),
        }


def _seller_records(
    rng: random.Random, code: str, profiles: list[SellerProfile], offer_totals: list[int]
) -> Iterator[Record]:
    """Seller records, the first-party retailer first."""
    sampler = CountSampler(rng)
    for index, seller in enumerate(profiles):
        start = index * _PER_SELLER
        yield {
            "seller_id": seller.seller_id,
            "marketplace": code,
            "tenure_days": seller.tenure_days,
            "first_sale_date": seller.first_sale_date,  # a date: JSON's YYYY-MM-DD, Parquet's DATE
            "location": seller.location,
            "category_group": seller.category_group,
            "fulfillment_channel": seller.fulfillment_channel,
            "cs_provider": seller.cs_provider,
            "first_party": seller.first_party,
            "windows": seller_windows(sampler, seller, offer_totals[start : start + _PER_SELLER]),
        }


def _zipf_norm(count: int) -> float:
    """Sum of 1 / r**s over ranks 1..count: total volume over the top offer's."""
    return math.fsum(r**-_ZIPF_EXPONENT for r in range(1, count + 1)) or 1.0


def _rank_permutation(rng: random.Random, count: int) -> tuple[int, int]:
    """(stride, offset) so that (stride * n + offset) % count is a permutation of 0..count-1.

    Gives each offer a popularity rank in O(1) memory, where a shuffled list would grow with
    the offer count.
    """
    if count <= 1:
        return 1, 0
    stride = rng.randrange(count // 3 + 1, count)
    while math.gcd(stride, count) != 1:  # ends by count - 1 at the latest
        stride += 1
    return stride, rng.randrange(count)
