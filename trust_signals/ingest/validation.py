"""Record validation at load speed: hand-written schema rules, with marshmallow as the judge."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from itertools import chain
from operator import add, itemgetter, le
from typing import Any, Final

import orjson
from marshmallow import Schema, ValidationError

from trust_signals.domain.snapshots import (
    CATEGORY_GROUPS,
    CS_PROVIDERS,
    FULFILLMENT_CHANNELS,
    ID_PATTERN,
    OFFER_COUNT_BOUNDS,
    OFFER_COUNT_FIELDS,
    SELLER_COUNT_BOUNDS,
    SELLER_COUNT_FIELDS,
    WINDOWS,
)
from trust_signals.ingest.records import MAX_COUNT, OfferRecordSchema, SellerRecordSchema
from trust_signals.store.codec import offer_body, offer_to_dict, seller_body, seller_to_dict

Record = dict[str, Any]

# Stricter than the schemas' patterns on purpose (fullmatch, so no trailing newline slips past
# `$`): the fast check may refuse what marshmallow accepts, never the other way round.
_ID: Final = re.compile(ID_PATTERN).match
_TWO_LETTERS: Final = re.compile(r"[A-Z]{2}").fullmatch
_ISO_DATE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}").fullmatch
_INT_ONLY: Final = frozenset({int})
_FLOAT_ONLY: Final = frozenset({float})
_LIST_ONLY: Final = frozenset({list})
_FIVE: Final = frozenset({5})
_WINDOW_KEYS: Final = frozenset(WINDOWS)
_AMOUNTS: Final = ("sales_amount", "domestic_sales_amount")


class _WindowCounts:
    """Checks every window's counts at once: exact fields, types, >= 0, events <= opportunities.

    Works on one tuple of all windows' values and keeps the per-value work in C (itemgetter,
    map, set, min): this runs for every record of every load.
    """

    __slots__ = ("_size", "_get", "_ints", "_amounts", "_ratings", "_bounds", "_sums")

    def __init__(
        self,
        names: tuple[str, ...],
        bounds: tuple[tuple[str, str], ...],
        sums: tuple[tuple[str, str, str], ...] = (),
    ) -> None:
        self._size = len(names)
        self._get = itemgetter(*names)
        width = len(names)
        at = [{n: base + i for i, n in enumerate(names)} for base in range(0, width * 3, width)]
        ints = [p[n] for p in at for n in names if n not in _AMOUNTS and n != "ratings"]
        self._ints = None if len(ints) == len(names) * len(at) else _getter(ints)
        self._amounts = _getter_or_none([p[n] for p in at for n in names if n in _AMOUNTS])
        self._ratings = _getter_or_none([p["ratings"] for p in at if "ratings" in p])
        pairs = [(p[event], p[opportunity]) for p in at for event, opportunity in bounds]
        self._bounds = tuple(_getter(list(column)) for column in zip(*pairs, strict=True))
        triples = [(p[a], p[b], p[total]) for p in at for a, b, total in sums]
        self._sums = tuple(_getter(list(column)) for column in zip(*triples, strict=True))

    def __call__(self, windows: object) -> bool:
        if type(windows) is not dict or windows.keys() != _WINDOW_KEYS:
            return False
        counts = tuple(windows.values())
        try:  # a missing field (KeyError) or a window that is not an object (TypeError)
            values = tuple(chain.from_iterable(map(self._get, counts)))
        except (KeyError, TypeError):
            return False
        for window in counts:
            if len(window) != self._size:  # every field present, so any more are unknown
                return False
        ints = values if self._ints is None else self._ints(values)
        if set(map(type, ints)) != _INT_ONLY or min(ints) < 0 or max(ints) > MAX_COUNT:
            return False
        if self._amounts is not None and not _amounts_ok(self._amounts(values)):
            return False
        if self._ratings is not None and not _ratings_ok(self._ratings(values)):
            return False
        events, opportunities = self._bounds
        if not all(map(le, events(values), opportunities(values))):
            return False
        if not self._sums:
            return True
        first, second, total = self._sums
        return all(map(le, map(add, first(values), second(values)), total(values)))


def _getter(indexes: list[int]) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
    # The first index repeated at the end: itemgetter of one index returns no tuple.
    return itemgetter(*indexes, indexes[0])


def _getter_or_none(indexes: list[int]) -> Callable[[tuple[Any, ...]], tuple[Any, ...]] | None:
    """None for a kind without such fields (offers have no amounts and no ratings)."""
    return _getter(indexes) if indexes else None


def _amounts_ok(amounts: tuple[Any, ...]) -> bool:
    # Only floats: an integer amount is valid but its canonical form is a float, which the
    # marshmallow path produces.
    if set(map(type, amounts)) != _FLOAT_ONLY or not all(map(math.isfinite, amounts)):
        return False
    return min(amounts) >= 0.0


def _ratings_ok(ratings: tuple[Any, ...]) -> bool:
    if set(map(type, ratings)) != _LIST_ONLY or set(map(len, ratings)) != _FIVE:
        return False
    stars = tuple(chain.from_iterable(ratings))
    return set(map(type, stars)) == _INT_ONLY and min(stars) >= 0 and max(stars) <= MAX_COUNT


_seller_windows_ok: Final = _WindowCounts(
    SELLER_COUNT_FIELDS, SELLER_COUNT_BOUNDS + (("domestic_sales_amount", "sales_amount"),)
)
_offer_windows_ok: Final = _WindowCounts(
    OFFER_COUNT_FIELDS,
    OFFER_COUNT_BOUNDS,
    sums=(("on_time_deliveries", "late_deliveries", "orders"),),
)


def _is_id(value: object) -> bool:
    return type(value) is str and _ID(value) is not None


def _is_two_letters(value: object) -> bool:
    return type(value) is str and _TWO_LETTERS(value) is not None


def _is_one_of(value: object, choices: tuple[str, ...]) -> bool:
    return type(value) is str and value in choices


def _is_int_in(value: object, low: int, high: float) -> bool:
    return type(value) is int and low <= value <= high


def _is_date_or_none(value: object) -> bool:
    if value is None:
        return True
    if type(value) is not str or _ISO_DATE(value) is None:
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


_SELLER_KEYS: Final = frozenset(SellerRecordSchema().fields)
_OFFER_KEYS: Final = frozenset(OfferRecordSchema().fields)


def seller_is_valid(record: object) -> bool:
    """True if SellerRecordSchema surely accepts the record as it is (False: ask marshmallow)."""
    if type(record) is not dict or record.keys() != _SELLER_KEYS:
        return False
    r = record
    return (
        _is_id(r["seller_id"])
        and _is_two_letters(r["marketplace"])
        and _is_int_in(r["tenure_days"], 0, MAX_COUNT)
        and _is_date_or_none(r["first_sale_date"])
        and _is_two_letters(r["location"])
        and _is_one_of(r["category_group"], CATEGORY_GROUPS)
        and _is_one_of(r["fulfillment_channel"], FULFILLMENT_CHANNELS)
        and _is_one_of(r["cs_provider"], CS_PROVIDERS)
        and type(r["first_party"]) is bool
        and _seller_windows_ok(r["windows"])
    )


def offer_is_valid(record: object) -> bool:
    """True if OfferRecordSchema surely accepts the record as it is (False: ask marshmallow)."""
    if type(record) is not dict or record.keys() != _OFFER_KEYS:
        return False
    r = record
    return (
        _is_id(r["offer_id"])
        and _is_id(r["seller_id"])
        and _is_id(r["product_id"])
        and _is_two_letters(r["marketplace"])
        and _is_one_of(r["fulfillment_channel"], FULFILLMENT_CHANNELS)
        and _is_int_in(r["handling_days"], 0, 60)
        and _is_int_in(r["return_window_days"], 0, 365)
        and type(r["free_returns"]) is bool
        and _offer_windows_ok(r["windows"])
    )


@dataclass(frozen=True, slots=True)
class RecordKind:
    """How one kind of record is checked fast, judged by its schema, and put in canonical form."""

    id_field: str
    is_valid: Callable[[object], bool]
    schema: Schema
    to_dict: Callable[[Any], Record]
    body: Callable[[Record], bytes]  # the stored form of a valid record
    # Keys at every depth of a record is_valid accepts. None of its strings can hold a colon
    # (ids, codes, dates), so its line holds exactly this many colons unless a key repeats.
    key_count: int


SELLERS: Final = RecordKind(
    "seller_id",
    seller_is_valid,
    SellerRecordSchema(),
    seller_to_dict,
    seller_body,
    len(_SELLER_KEYS) + len(WINDOWS) * (1 + len(SELLER_COUNT_FIELDS)),
)
OFFERS: Final = RecordKind(
    "offer_id",
    offer_is_valid,
    OfferRecordSchema(),
    offer_to_dict,
    offer_body,
    len(_OFFER_KEYS) + len(WINDOWS) * (1 + len(OFFER_COUNT_FIELDS)),
)


def validated(kind: RecordKind, record: object) -> tuple[Record | None, list[str]]:
    """(canonical record, []) if the schema accepts it, else (None, ['field: problem', ...])."""
    if kind.is_valid(record):
        return record, []  # type: ignore[return-value]  # is_valid proved it a dict
    if type(record) is not dict:
        return None, [f"record: not a JSON object but {type(record).__name__}"]
    try:
        built = kind.schema.load(record)
    except ValidationError as exc:
        return None, flattened_problems(exc.messages)
    except ValueError as exc:  # an invariant of the domain objects the schema does not state
        return None, [str(exc)]
    # Through JSON once so that both paths give the file's form (ISO date strings, lists).
    return orjson.loads(orjson.dumps(kind.to_dict(built))), []


def flattened_problems(messages: Any) -> list[str]:
    """marshmallow's nested error messages as 'dotted.field.path: message' lines."""
    return [f"{field}: {message}" for field, message in _flattened(messages, ())]


def _flattened(messages: Any, path: tuple[str, ...]) -> Iterator[tuple[str, str]]:
    """(dotted field path, message) pairs from marshmallow's nested error messages."""
    if not isinstance(messages, Mapping):
        for message in messages if isinstance(messages, list | tuple) else [messages]:
            yield ".".join(path) or "record", str(message)
        return
    for key, sub in messages.items():
        # A Dict field files errors under <key>.key / <key>.value; _schema is the record's own.
        if key == "_schema" or (key == "value" and _in_windows(path)):
            yield from _flattened(sub, path)
        elif key == "key" and _in_windows(path):
            for field, message in _flattened(sub, path):
                yield field, f"not a window: {message}"
        else:
            yield from _flattened(sub, (*path, str(key)))


def _in_windows(path: tuple[str, ...]) -> bool:
    return len(path) == 2 and path[0] == "windows"
