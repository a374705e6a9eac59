"""Benchmark: µs to evaluate every signal of one offer and of one seller (pure engine).

Usage: .venv/bin/python bench/engine.py [--sellers N] [--offers M] [--repeats R]

Evaluates the default config over a generated US snapshot, in-process, and prints the median
µs per entity over R repeats, next to a baseline measured in the same run, alternating with it
(decoding the same records from their stored form, which every cold read pays anyway), and the
median ratio of the two.
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

import orjson

from trust_signals.config import default_config_path, load_config
from trust_signals.domain.badges import earned_seller_rules, evaluate_surfaces
from trust_signals.domain.cohorts import prior_rates
from trust_signals.domain.profile_stats import profile_stats
from trust_signals.domain.ranking_features import fill_level
from trust_signals.domain.signals import Subject, seller_fq_rates
from trust_signals.ingest.generator import generate_snapshots
from trust_signals.service.cohort_artifacts import seller_prior
from trust_signals.store.codec import decode_offer, decode_seller, offer_body, seller_body

AS_OF = date(2026, 11, 27)


def per_item_us(run: Callable[[], int]) -> float:
    """µs per item of one run, where run() returns how many items it did."""
    started = time.perf_counter()
    count = run()
    return (time.perf_counter() - started) / count * 1e6


def paired(
    engine: Callable[[], int], baseline: Callable[[], int], repeats: int
) -> tuple[float, float, float]:
    """Medians of µs per item of `engine` and of `baseline`, and of their ratio per repeat.

    The two alternate within each repeat, so a slow spell on a shared machine slows both
    and the ratio stays honest.
    """
    pairs = [(per_item_us(engine), per_item_us(baseline)) for _ in range(repeats)]
    return (
        statistics.median(e for e, _ in pairs),
        statistics.median(b for _, b in pairs),
        statistics.median(e / b for e, b in pairs),
    )


def read_lines(path: Path) -> list[bytes]:
    with gzip.open(path, "rb") as stream:
        return stream.read().splitlines()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sellers", type=int, default=3_000)
    parser.add_argument("--offers", type=int, default=30_000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    reps = args.repeats
    with tempfile.TemporaryDirectory() as tmp:
        (directory,) = generate_snapshots(
            Path(tmp),
            sellers=args.sellers,
            offers=args.offers,
            marketplaces=["US"],
            seed=1,
            as_of=AS_OF,
        )
        seller_lines = read_lines(directory / "sellers.jsonl.gz")
        offer_lines = read_lines(directory / "offers.jsonl.gz")
    config = load_config(default_config_path())
    market = config.for_marketplace("US")
    params, spec, schema = market.params, market.cohort_spec, market.feature_schema
    seller_bodies = [seller_body(orjson.loads(line)) for line in seller_lines]
    offer_bodies = [offer_body(orjson.loads(line)) for line in offer_lines]
    sellers = {s.seller_id: s for s in map(decode_seller, seller_bodies)}
    offers = [decode_offer(body) for body in offer_bodies]
    priors = prior_rates(sellers.values(), spec)
    subjects = {
        i: Subject(s, None, AS_OF, seller_prior(s, priors, spec)) for i, s in sellers.items()
    }
    # What the service computes once per seller and reuses for each of its offers.
    seller_parts = {
        i: fill_level(schema, "seller", subject, params) for i, subject in subjects.items()
    }
    inherited = {i: earned_seller_rules(market.rules, s, params) for i, s in subjects.items()}
    offer_priors = {i: seller_fq_rates(s, params) for i, s in subjects.items()}
    all_caps = dict(market.surface_caps)
    offer_caps = {k: v for k, v in all_caps.items() if k in ("search", "pdp")}

    def sellers_run() -> int:
        for subject in subjects.values():
            evaluate_surfaces(
                market.rules, subject, params, max_badges=all_caps, marketplace="US", on=AS_OF
            )
            profile_stats(market.stats, subject, params)
            fill_level(schema, "seller", subject, params)
            earned_seller_rules(market.rules, subject, params)
            seller_fq_rates(subject, params)
        return len(subjects)

    def offers_run() -> int:
        for offer in offers:
            seller_id = offer.seller_id
            seller = subjects[seller_id]
            subject = Subject(
                seller.seller, offer, AS_OF, seller.prior_rates, offer_priors[seller_id]
            )
            evaluate_surfaces(
                market.rules,
                subject,
                params,
                max_badges=offer_caps,
                marketplace="US",
                on=AS_OF,
                inherited=inherited[seller_id],
            )
            fill_level(schema, "offer", subject, params, seller_parts[seller_id])
        return len(offers)

    def decode_sellers() -> int:
        for body in seller_bodies:
            decode_seller(body)
        return len(seller_bodies)

    def decode_offers() -> int:
        for body in offer_bodies:
            decode_offer(body)
        return len(offer_bodies)

    rows = [
        ("offer: badges (search+pdp) + features", *paired(offers_run, decode_offers, reps), 20.0),
        (
            "seller: badges (3 surfaces) + SPP stats + seller features",
            *paired(sellers_run, decode_sellers, reps),
            50.0,
        ),
    ]
    print(
        f"{len(offers)} offers, {len(sellers)} sellers, {len(market.rules)} rules, "
        f"{len(schema.features)} features, median of {args.repeats} repeats"
    )
    print(f"{'entity':<58}{'µs/entity':>10}{'decode µs':>11}{'ratio':>7}{'target':>8}")
    for name, engine, decode, ratio, target in rows:
        print(f"{name:<58}{engine:>10.1f}{decode:>11.1f}{ratio:>7.2f}{target:>8.0f}")


if __name__ == "__main__":
    main()
