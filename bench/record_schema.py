"""One offer record's validation: today's fast path, marshmallow, and msgspec, in one run.

Prints µs per record for a valid offer line from bytes to its stored form (decode, validate,
body), and the message each gives for a refused record. msgspec is not a dependency: install
it into the venv to run this (`.venv/bin/pip install msgspec`).

    PYTHONPATH=. .venv/bin/python bench/record_schema.py
"""

from __future__ import annotations

import timeit
from typing import Annotated, Literal

import msgspec
import orjson

from tests.builders import offer_record
from trust_signals.domain.snapshots import OFFER_COUNT_BOUNDS
from trust_signals.ingest.records import MAX_COUNT
from trust_signals.ingest.validation import OFFERS, validated

Id = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
Count = Annotated[int, msgspec.Meta(ge=0, le=MAX_COUNT)]


class OfferCounts(msgspec.Struct, forbid_unknown_fields=True):
    orders: Count
    on_time_deliveries: Count
    late_deliveries: Count
    cancellations: Count
    damaged: Count
    not_as_described: Count
    returns: Count

    def __post_init__(self) -> None:
        # The cross-field rules msgspec cannot state: events within their opportunities.
        for event, opportunity in OFFER_COUNT_BOUNDS:
            if getattr(self, event) > getattr(self, opportunity):
                raise ValueError(f"{event}: must not exceed {opportunity}")
        if self.on_time_deliveries + self.late_deliveries > self.orders:
            raise ValueError("on_time_deliveries: with late_deliveries must not exceed orders")


class Windows(
    msgspec.Struct, forbid_unknown_fields=True, rename={"d30": "30d", "d90": "90d", "d365": "365d"}
):
    d30: OfferCounts
    d90: OfferCounts
    d365: OfferCounts


class Offer(msgspec.Struct, forbid_unknown_fields=True):
    offer_id: Id
    seller_id: Id
    product_id: Id
    marketplace: Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{2}$")]
    fulfillment_channel: Literal["fba", "mfn", "easyship", "seller_fulfilled_prime"]
    handling_days: Annotated[int, msgspec.Meta(ge=0, le=60)]
    return_window_days: Annotated[int, msgspec.Meta(ge=0, le=365)]
    free_returns: bool
    windows: Windows


def main() -> None:
    good = orjson.dumps(offer_record())
    bad = orjson.dumps(offer_record(handling_days="1", return_window_days=-1))
    decoder = msgspec.json.Decoder(Offer)

    def today() -> bytes:
        record, _ = validated(OFFERS, orjson.loads(good))
        assert record is not None
        return OFFERS.body(record)

    def judge() -> object:
        return OFFERS.schema.load(orjson.loads(good))

    def with_msgspec() -> bytes:
        offer = decoder.decode(good)
        return msgspec.json.encode(offer)  # a stand-in for the positional stored form

    number = 20_000
    for name, call in (("today's fast path", today), ("msgspec", with_msgspec)):
        best = min(timeit.repeat(call, number=number, repeat=5)) / number
        print(f"{name:18} {best * 1e6:6.1f} µs per offer")
    best = min(timeit.repeat(judge, number=2_000, repeat=3)) / 2_000
    print(f"{'marshmallow':18} {best * 1e6:6.1f} µs per offer")
    print("today:  ", validated(OFFERS, orjson.loads(bad))[1])
    try:
        decoder.decode(bad)
    except msgspec.ValidationError as error:
        print("msgspec:", error)


if __name__ == "__main__":
    main()
