"""The fast record check never accepts what the marshmallow record schemas reject; repeated
keys are found wherever they are."""

from __future__ import annotations

import copy
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trust_signals.domain.snapshots import (
    CATEGORY_GROUPS,
    CS_PROVIDERS,
    FULFILLMENT_CHANNELS,
    OFFER_COUNT_BOUNDS,
    OFFER_COUNT_FIELDS,
    SELLER_COUNT_BOUNDS,
    SELLER_COUNT_FIELDS,
    WINDOWS,
)
from trust_signals.ingest.json_keys import repeated_keys
from trust_signals.ingest.validation import OFFERS, SELLERS, RecordKind, validated

Record = dict[str, Any]
KINDS = {"seller": SELLERS, "offer": OFFERS}

ids = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", fullmatch=True)
two_letters = st.from_regex(r"[A-Z]{2}", fullmatch=True)
# Values that are wrong in some place and right in another: every type JSON can produce,
# the edges of each rule (bools as ints, a trailing newline, impossible dates, big numbers).
nasty = st.one_of(
    st.integers(min_value=-3, max_value=400),
    st.integers(min_value=2**53 - 2, max_value=2**53 + 1),
    st.integers(min_value=2**62, max_value=2**66),
    st.booleans(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.none(),
    st.text(max_size=70),
    st.sampled_from(
        ["US", "US\n", "us", "U", "S-1\n", "-S", "2026-02-30", "2026-11-27", "20261127"]
        + list(CATEGORY_GROUPS + FULFILLMENT_CHANNELS + CS_PROVIDERS + WINDOWS)
    ),
    st.lists(st.integers(min_value=-2, max_value=5), max_size=6),
    st.dictionaries(st.sampled_from(WINDOWS + ("7d", "x")), st.integers(), max_size=2),
)


def counts(
    data: st.DataObject, names: tuple[str, ...], bounds: tuple[tuple[str, str], ...]
) -> Record:
    """Counts that respect every bound: each opportunity is drawn before its events."""
    cap_of = dict(bounds)
    drawn: Record = {}

    def value(name: str) -> Any:
        if name not in drawn:
            cap = value(cap_of[name]) if name in cap_of else 10**6
            amount = name.endswith("_amount")
            strategy = st.floats(0, float(cap)) if amount else st.integers(0, int(cap))
            drawn[name] = data.draw(strategy)
        return drawn[name]

    return {name: value(name) for name in names}


def seller_counts(data: st.DataObject) -> Record:
    names = tuple(n for n in SELLER_COUNT_FIELDS if n != "ratings")
    bounds = SELLER_COUNT_BOUNDS + (("domestic_sales_amount", "sales_amount"),)
    ratings = data.draw(st.lists(st.integers(0, 10**4), min_size=5, max_size=5))
    return {**counts(data, names, bounds), "ratings": ratings}


def offer_counts(data: st.DataObject) -> Record:
    values = counts(data, OFFER_COUNT_FIELDS, OFFER_COUNT_BOUNDS)
    values["late_deliveries"] = min(
        values["late_deliveries"], values["orders"] - values["on_time_deliveries"]
    )
    return values


def valid_seller(data: st.DataObject) -> Record:
    return {
        "seller_id": data.draw(ids),
        "marketplace": data.draw(two_letters),
        "tenure_days": data.draw(st.integers(0, 10**5)),
        "first_sale_date": data.draw(st.none() | st.dates().map(lambda d: d.isoformat())),
        "location": data.draw(two_letters),
        "category_group": data.draw(st.sampled_from(CATEGORY_GROUPS)),
        "fulfillment_channel": data.draw(st.sampled_from(FULFILLMENT_CHANNELS)),
        "cs_provider": data.draw(st.sampled_from(CS_PROVIDERS)),
        "first_party": data.draw(st.booleans()),
        "windows": {window: seller_counts(data) for window in WINDOWS},
    }


def valid_offer(data: st.DataObject) -> Record:
    return {
        "offer_id": data.draw(ids),
        "seller_id": data.draw(ids),
        "product_id": data.draw(ids),
        "marketplace": data.draw(two_letters),
        "fulfillment_channel": data.draw(st.sampled_from(FULFILLMENT_CHANNELS)),
        "handling_days": data.draw(st.integers(0, 60)),
        "return_window_days": data.draw(st.integers(0, 365)),
        "free_returns": data.draw(st.booleans()),
        "windows": {window: offer_counts(data) for window in WINDOWS},
    }


def valid_record(data: st.DataObject, kind: str) -> Record:
    return valid_seller(data) if kind == "seller" else valid_offer(data)


def mutated(data: st.DataObject, record: Record) -> Record:
    """The record with counts moved to their bounds, then fields replaced, removed, added or
    renamed at any depth: one to four changes in all."""
    record = copy.deepcopy(record)
    moves = data.draw(st.integers(0, 2))
    for _ in range(moves):
        _move_to_bound(data, record)
    for _ in range(data.draw(st.integers(0 if moves else 1, 2))):
        parent: Any = record
        while isinstance(parent, dict) and parent and data.draw(st.booleans()):
            child = parent[data.draw(st.sampled_from(sorted(parent)))]
            if not isinstance(child, dict | list) or not child:
                break
            parent = child
        _mutate(data, parent)
    return record


def _move_to_bound(data: st.DataObject, record: Record) -> None:
    """One event count set just under, at or just over its opportunity count."""
    counts = record["windows"][data.draw(st.sampled_from(WINDOWS))]
    bounds = SELLER_COUNT_BOUNDS if "shipments" in counts else OFFER_COUNT_BOUNDS
    bounds += (("domestic_sales_amount", "sales_amount"),) if "sales_amount" in counts else ()
    event, opportunity = data.draw(st.sampled_from(bounds))
    moved = counts[opportunity] + data.draw(st.sampled_from([-1, 0, 1]))
    counts[event] = max(moved, 0) if isinstance(moved, int) else float(max(moved, 0.0))


def _mutate(data: st.DataObject, parent: Any) -> None:
    if isinstance(parent, list):
        parent[data.draw(st.integers(0, len(parent) - 1))] = data.draw(nasty)
        return
    key = data.draw(st.sampled_from(sorted(parent)))
    action = data.draw(st.sampled_from(["replace", "small int", "drop", "add", "rename"]))
    if action == "replace":
        parent[key] = data.draw(nasty)
    elif action == "small int":
        parent[key] = data.draw(st.integers(0, 200))
    elif action == "drop":
        del parent[key]
    elif action == "add":
        parent[data.draw(st.sampled_from(["extra", "7d", "orders", key + "_"]))] = 1
    else:
        parent[data.draw(st.sampled_from(["7d", "30d", "x"]))] = parent.pop(key)


def marshmallow_form(kind: RecordKind, record: Record) -> bytes | None:
    """The canonical JSON marshmallow's object gives, or None if the schema refuses the record."""
    try:
        built = kind.schema.load(copy.deepcopy(record))
    except Exception:  # a refusal either way: ValidationError or a domain ValueError
        return None
    return orjson.dumps(kind.to_dict(built), option=orjson.OPT_SORT_KEYS)


def canonical(record: Record | None) -> bytes | None:
    return None if record is None else orjson.dumps(record, option=orjson.OPT_SORT_KEYS)


PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("kind", KINDS)
@PROPERTY
@given(data=st.data())
def test_fast_check_accepts_valid_records_as_marshmallow_does(
    kind: str, data: st.DataObject
) -> None:
    record = valid_record(data, kind)

    assert KINDS[kind].is_valid(record)
    assert canonical(record) == marshmallow_form(KINDS[kind], record)


@pytest.mark.parametrize("kind", KINDS)
@PROPERTY
@given(data=st.data())
def test_fast_check_never_accepts_a_record_marshmallow_rejects(
    kind: str, data: st.DataObject
) -> None:
    record = mutated(data, valid_record(data, kind))

    if KINDS[kind].is_valid(record):
        assert marshmallow_form(KINDS[kind], record) is not None


@pytest.mark.parametrize("kind", KINDS)
@PROPERTY
@given(data=st.data())
def test_validated_keeps_exactly_what_marshmallow_keeps(kind: str, data: st.DataObject) -> None:
    record = mutated(data, valid_record(data, kind))

    accepted, problems = validated(KINDS[kind], copy.deepcopy(record))

    assert canonical(accepted) == marshmallow_form(KINDS[kind], record)
    assert bool(problems) == (accepted is None)


def _seller_window(change: Any) -> Record:
    record = {
        "seller_id": "S-1",
        "marketplace": "US",
        "tenure_days": 10,
        "first_sale_date": None,
        "location": "US",
        "category_group": "toys",
        "fulfillment_channel": "fba",
        "cs_provider": "csba",
        "first_party": False,
        "windows": {w: {n: 0 for n in SELLER_COUNT_FIELDS} for w in WINDOWS},
    }
    for window in record["windows"].values():
        window.update(sales_amount=0.0, domestic_sales_amount=0.0, ratings=[0, 0, 0, 0, 0])
    change(record["windows"]["90d"])
    return record


def _swap_ratings_for_unknown(window: Record) -> None:
    del window["ratings"]
    window["refunds"] = 0


@pytest.mark.parametrize(
    "change",
    [
        _swap_ratings_for_unknown,
        lambda w: w.update(ratings=[0, 0, 0, 0]),
        lambda w: w.update(ratings=[0, 0, 0, 0, True]),
        lambda w: w.update(orders=True),
        lambda w: w.update(sales_amount=float("nan")),
        lambda w: w.update(sales_amount=1.0, domestic_sales_amount=2.0),
        lambda w: w.update(shipments=1),
    ],
    ids=[
        "unknown for ratings",
        "4 ratings",
        "bool rating",
        "bool count",
        "nan",
        "domestic",
        "bound",
    ],
)
def test_fast_check_refuses_seller_counts_marshmallow_refuses(change: Any) -> None:
    record = _seller_window(change)

    assert (SELLERS.is_valid(record), marshmallow_form(SELLERS, record)) == (False, None)


@pytest.mark.parametrize(
    "window",
    [[0] * 7, "orders", None, {"orders": 0}],
    ids=["list", "string", "null", "too few counts"],
)
def test_fast_check_refuses_a_window_that_is_not_an_object_of_counts(window: Any) -> None:
    record = {
        "offer_id": "O-1",
        "seller_id": "S-1",
        "product_id": "P-1",
        "marketplace": "US",
        "fulfillment_channel": "fba",
        "handling_days": 1,
        "return_window_days": 30,
        "free_returns": True,
        "windows": {w: dict.fromkeys(OFFER_COUNT_FIELDS, 0) for w in WINDOWS},
    }
    record["windows"]["30d"] = window

    assert (OFFERS.is_valid(record), marshmallow_form(OFFERS, record)) == (False, None)


def test_record_marshmallow_accepts_in_another_form_is_stored_in_canonical_form() -> None:
    record = _seller_window(lambda w: w.update(sales_amount=12, domestic_sales_amount=0))
    record["first_sale_date"] = "20251001"  # ISO 8601 basic format: fromisoformat takes it

    accepted, problems = validated(SELLERS, record)

    assert (SELLERS.is_valid(record), problems) == (False, [])
    assert accepted is not None and accepted["first_sale_date"] == "2025-10-01"
    assert accepted["windows"]["90d"]["sales_amount"] == 12.0
    assert type(accepted["windows"]["90d"]["sales_amount"]) is float


@pytest.mark.parametrize("kind", KINDS)
@PROPERTY
@given(data=st.data())
def test_a_record_the_fast_check_accepts_has_a_colon_per_key_and_no_more(
    kind: str, data: st.DataObject
) -> None:
    record = valid_record(data, kind)
    keys = len(record) + sum(1 + len(counts) for counts in record["windows"].values())

    assert orjson.dumps(record).count(b":") == keys == KINDS[kind].key_count


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=12,
)


@given(json_values)
def test_json_written_from_a_dict_repeats_no_key(value: object) -> None:
    assert repeated_keys(orjson.dumps(value)) == []


@pytest.mark.parametrize(
    ("text", "paths"),
    [
        (b'{"a": 1, "a": 1}', ["a"]),
        (b'{"a": 1, "b": {"c": 1, "c": 2}, "a": 3}', ["b.c", "a"]),
        (b'{"w": {"30d": {"n": 1}, "90d": {"n": 1, "n": 1}}}', ["w.90d.n"]),
        (b'{"r": [1, {"x": 1, "x": 2}]}', ["r.1.x"]),
        (b'[{"x": 1}, {"x": 1, "x": 1}]', ["1.x"]),
        (b'{"a": 1, "b": 2}', []),
        (b'{"a": ', []),
        (b'{"a": ' + b"[" * 1000 + b"]" * 1000 + b', "a": 1}', []),
    ],
    ids=["top", "nested then top", "same key in sibling objects", "in a list", "array", "none",
         "not JSON", "deeper than the stdlib parses"],
)  # fmt: skip
def test_repeated_keys_are_named_by_their_dotted_path(text: bytes, paths: list[str]) -> None:
    assert repeated_keys(text) == paths
