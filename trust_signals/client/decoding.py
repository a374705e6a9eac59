"""Response bodies into the client's frozen dataclasses, as the dataclasses describe them.

A field is read from the body's key of the same name, checked against its annotation: str,
int, float (a JSON integer too), bool, date and datetime (ISO 8601 strings), `X | None` (null
allowed), `tuple[X, ...]` (an array), `dict[str, X]` (an object) or another dataclass (an
object). A field's metadata `sent(...)` says where and when it is sent when that differs;
`GIVEN` marks a field the caller supplies instead of the body. The first field that does not
match raises MalformedResponse with its path, e.g. `offers[3].badges[0].id: expected a string`.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any, Final, TypeVar

from trust_signals.client.errors import MalformedResponse

T = TypeVar("T")
Reader = Callable[[Any], Any]
Condition = Callable[[Mapping[str, Any]], bool]
_SCALARS: Final[Mapping[type, tuple[frozenset[type], str]]] = {
    str: (frozenset({str}), "expected a string"),
    # bool is an int to Python; a count holding true/false is still malformed.
    int: (frozenset({int}), "expected an integer"),
    float: (frozenset({int, float}), "expected a number"),
    bool: (frozenset({bool}), "expected true or false"),
}


def sent(*at: str, when: Condition | None = None, null: bool = True) -> Mapping[str, Any]:
    """The field metadata of a field sent otherwise than under its own name.

    Args:
        at: the path of keys it is sent at (default: its name).
        when: whether the enclosing object sends it at all; when not, the field is None
            (or () for an array).
        null: False when an answer never sends null: the field is None only in a degraded
            result, which the client makes itself.
    """
    return {"at": at, "when": when, "null": null}


# The field metadata of a field the body does not send: the caller of the reader supplies it.
GIVEN: Final[Mapping[str, Any]] = types.MappingProxyType({"given": True})


def has_key(key: str) -> Condition:
    """The condition that the enclosing object sends `key` (some callers are not sent it)."""
    return lambda body: key in body


def object_reader(cls: type[T]) -> Callable[..., T]:
    """The reader of `cls` from a JSON body: `read(body, **given_fields)`.

    MalformedResponse names the first field that does not match by its path.
    """
    read = _object(cls)

    def read_body(body: Any, **given: Any) -> T:
        try:
            found: T = read(body, given)
        except _Mismatch as mismatch:
            raise MalformedResponse(f"{mismatch.path() or 'body'}: {mismatch.problem}") from None
        return found

    return read_body


class _Mismatch(Exception):
    """A value that does not match; each enclosing reader adds its key or index on the way
    out, so the success path builds no path strings (a 1,000-row answer would build 1,000)."""

    def __init__(self, problem: str, *outward: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.outward = list(outward)  # innermost first

    def path(self) -> str:
        inward = self.outward[::-1]
        return "".join(p if p.startswith("[") or i == 0 else f".{p}" for i, p in enumerate(inward))


def _reader(kind: Any) -> Reader:
    """The function that checks a JSON value against `kind` and converts it."""
    if dataclasses.is_dataclass(kind):
        read_object = _object(kind)  # type: ignore[arg-type]  # a class, not an instance
        return lambda value: read_object(value, {})
    if kind in _SCALARS:
        return _scalar(kind)
    if kind in (date, datetime):
        return _iso(kind)
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin in (types.UnionType, typing.Union) and type(None) in args:
        return _nullable(_reader(_not_null(kind)))
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return _scalar_array(args[0]) if args[0] in _SCALARS else _array(_reader(args[0]))
    if origin is dict and args[0] is str:
        return _mapping(_reader(args[1]))
    raise TypeError(f"no JSON reader for {kind!r}")


Step = tuple[str, tuple[str, ...] | None, Reader | None, Condition | None, Any]


def _plan(cls: type) -> list[Step]:
    """One step per field, in order: (name, at, reader, when, absent); a given field has no
    reader, and `at` is None for a field sent under its own name."""
    hints = typing.get_type_hints(cls)
    plan: list[Step] = []
    for field in dataclasses.fields(cls):
        if field.metadata.get("given"):
            plan.append((field.name, None, None, None, None))
            continue
        kind = hints[field.name]
        if not field.metadata.get("null", True):
            kind = _not_null(kind)
        absent = () if typing.get_origin(kind) is tuple else None
        at = field.metadata.get("at") or None
        plan.append((field.name, at, _reader(kind), field.metadata.get("when"), absent))
    return plan


def _object(cls: type[T]) -> Callable[[Any, dict[str, Any]], T]:
    plan = _plan(cls)

    def read(value: Any, given: dict[str, Any]) -> T:
        if type(value) is not dict:
            raise _Mismatch("expected a JSON object")
        args = []
        for name, at, read_field, when, absent in plan:
            if read_field is None:
                args.append(given[name])
            elif when is not None and not when(value):
                args.append(absent)
            else:
                if at is not None:
                    sent_value = _at(value, at)
                elif name in value:
                    sent_value = value[name]
                else:
                    raise _Mismatch("missing", name)
                try:
                    args.append(read_field(sent_value))
                except _Mismatch as mismatch:
                    mismatch.outward.extend(reversed(at or (name,)))
                    raise
        return cls(*args)

    return read


def _not_null(kind: Any) -> Any:
    (inner,) = [arg for arg in typing.get_args(kind) if arg is not type(None)] or [kind]
    return inner


def _at(body: dict[str, Any], at: tuple[str, ...]) -> Any:
    value: Any = body
    for depth, key in enumerate(at):
        if type(value) is not dict:  # not the body itself, which its reader checked
            raise _Mismatch("expected a JSON object", *reversed(at[:depth]))
        if key not in value:
            raise _Mismatch("missing", *reversed(at[: depth + 1]))
        value = value[key]
    return value


def _scalar(kind: type) -> Reader:
    kinds, problem = _SCALARS[kind]

    def read(value: Any) -> Any:
        if type(value) not in kinds:
            raise _Mismatch(problem)
        return float(value) if kind is float else value

    return read


def _iso(kind: type[date]) -> Reader:
    problem = "expected an ISO 8601 " + ("date-time" if kind is datetime else "date")

    def read(value: Any) -> date:
        if type(value) is not str:
            raise _Mismatch(problem)
        try:
            return kind.fromisoformat(value)
        except ValueError:
            raise _Mismatch(problem) from None

    return read


def _nullable(read_value: Reader) -> Reader:
    return lambda value: None if value is None else read_value(value)


def _array(read_item: Reader) -> Reader:
    def read(value: Any) -> tuple[Any, ...]:
        if type(value) is not list:
            raise _Mismatch("expected an array")
        try:
            return tuple(map(read_item, value))
        except _Mismatch:
            for index, entry in enumerate(value):  # again, to find the first bad index
                try:
                    read_item(entry)
                except _Mismatch as mismatch:
                    mismatch.outward.append(f"[{index}]")
                    raise
            raise

    return read


def _scalar_array(item: type) -> Reader:
    """An array of one scalar kind, checked in one C-level pass: a 1,000-offer answer holds
    1,000 rows of feature values and as many of flags."""
    kinds, problem = _SCALARS[item]

    def read(value: Any) -> tuple[Any, ...]:
        if type(value) is not list:
            raise _Mismatch("expected an array")
        if not kinds.issuperset(map(type, value)):
            index = next(i for i, entry in enumerate(value) if type(entry) not in kinds)
            raise _Mismatch(problem, f"[{index}]")
        return tuple(map(float, value)) if item is float else tuple(value)

    return read


def _mapping(read_value: Reader) -> Reader:
    def read(value: Any) -> dict[str, Any]:
        if type(value) is not dict:
            raise _Mismatch("expected a JSON object")
        found = {}
        for key, entry in value.items():
            try:
                found[key] = read_value(entry)
            except _Mismatch as mismatch:
                mismatch.outward.append(key)
                raise
        return found

    return read
