"""Repeated keys in JSON text: orjson keeps the last of two equal keys without a word."""

from __future__ import annotations

import json
from typing import Any


class _Object(dict[str, Any]):
    """A parsed JSON object that remembers the keys its text repeats, at any depth."""

    __slots__ = ("repeated",)

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        super().__init__()
        self.repeated: list[str] = []
        for key, value in pairs:
            if key in self:
                self.repeated.append(key)
            self[key] = value
            self.repeated.extend(f"{key}.{inner}" for inner in _repeated(value))


def _repeated(value: object) -> list[str]:
    if isinstance(value, _Object):
        return value.repeated
    if isinstance(value, list):
        return [f"{i}.{inner}" for i, item in enumerate(value) for inner in _repeated(item)]
    return []


def repeated_keys(text: bytes) -> list[str]:
    """Dotted paths of the keys a JSON text repeats within one object, in text order.

    The stdlib parser hands every pair over, at ten times orjson's cost: callers ask only
    about lines a cheap count suspects.
    """
    try:
        return _repeated(json.loads(text, object_pairs_hook=_Object))
    except (ValueError, RecursionError):  # no record either way: its other problems tell
        return []
