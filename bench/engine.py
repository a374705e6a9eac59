"""Benchmark: µs to evaluate every signal of one offer and of one seller (pure engine).

Usage: .venv/bin/python bench/engine.py [--sellers N] [--offers M] [--repeats R]

Evaluates the default config over a generated US snapshot, in-process, and prints the median
µs per entity over R repeats, next to a baseline measured in the same run (decoding the same
records from their stored form, which every cold read pays anyway) and the ratio.
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
from trust_signals.domain.ranking_features import assemble_vector, level_values
from trust_signals.domain.signals import Subject, seller_fq_rates
from trust_signals.ingest.generator import generate_snapshots
from trust_signals.precompute import seller_prior
from trust_signals.store.codec import decode_offer, decode_seller, offer_body, seller_body

AS_OF = date(2026, 11, 27)


def per_item_us(run: Callable[[], int], repeats: int) -> float:
    """Median over repeats of µs per item, where run() returns how many items it did."""
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        count = run()
        samples.append((time.perf_counter() - started) / count * 1e6)
    return statistics.median(samples)


def read_lines(path: Path) -> list[bytes]:
    with gzip.open(path, "rb") as stream:
        return stream.read().splitlines()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sellers", type=int, default=3_000)
    parser.add_argument("--offers", type=int, default=30_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
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
        i: level_values(schema, "seller", subject, params) for i, subject in subjects.items()
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
            level_values(schema, "seller", subject, params)
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
            assemble_vector(
                schema,
                seller_parts[offer.seller_id],
                level_values(schema, "offer", subject, params),
            )
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
        (
            "offer: badges (search+pdp) + features",
            per_item_us(offers_run, args.repeats),
            per_item_us(decode_offers, args.repeats),
            20.0,
        ),
        (
            "seller: badges (3 surfaces) + SPP stats + seller features",
            per_item_us(sellers_run, args.repeats),
            per_item_us(decode_sellers, args.repeats),
            50.0,
        ),
    ]
    print(
        f"{len(offers)} offers, {len(sellers)} sellers, {len(market.rules)} rules, "
        f"{len(schema.features)} features, median of {args.repeats} repeats"
    )
    print(f"{'entity':<58}{'µs/entity':>10}{'decode µs':>11}{'ratio':>7}{'target':>8}")
    for name, engine, decode, target in rows:
        print(f"{name:<58}{engine:>10.1f}{decode:>11.1f}{engine / decode:>7.2f}{target:>8.0f}")


if __name__ == "__main__":
    main()
