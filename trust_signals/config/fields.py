"""Marshmallow fields for TOML input: typed values only, and tables of free keys.

TOML has real types, so a threshold written as "0.95" or a flag written as "yes" is a
mistake to report, not a value to coerce.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from math import isfinite
from typing import Any, Final

from marshmallow import ValidationError, fields, validate

PLAIN_KEY: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class Real(fields.Float):
    """A TOML integer or float; never a string or boolean (TOML has types, use them)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class Int(fields.Integer):
    """A TOML integer; never a float, string or boolean."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class Bool(fields.Boolean):
    """A TOML boolean; never 'yes', 1 or another truthy stand-in."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class TomlDate(fields.Date):
    """A TOML local date (2026-01-01) or an ISO date string; never a date-time."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        if isinstance(value, datetime):
            raise ValidationError("must be a date such as 2026-01-01, not a date-time")
        return super()._deserialize(value, attr, data, **kwargs)


def _error_key(key: str) -> str:
    """A key as error paths show it: plain, or quoted when it holds dots or other marks."""
    return key if PLAIN_KEY.match(key) else f'["{key}"]'


class Table(fields.Field):
    """A table of free keys (e.g. marketplaces); errors are keyed by the table's own keys."""

    def __init__(
        self, load: Callable[[Any], Any], key_pattern: str, key_error: str, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self._load, self._key_pattern, self._key_error = load, key_pattern, key_error

    def _deserialize(
        self, value: Any, attr: str | None, data: Any, **kwargs: Any
    ) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise ValidationError("must be a table")
        loaded: dict[str, Any] = {}
        errors: dict[str, Any] = {}
        for key, item in value.items():
            if not re.fullmatch(self._key_pattern, key):
                errors[_error_key(key)] = [self._key_error]
                continue
            try:
                loaded[key] = self._load(item)
            except ValidationError as error:
                errors[_error_key(key)] = error.messages
        if errors:
            raise ValidationError(errors)
        return loaded


def real(**kwargs: Any) -> Real:
    """A finite number field."""
    return Real(allow_nan=False, **kwargs)


def one_of(choices: tuple[str, ...] | Mapping[str, Any]) -> validate.OneOf:
    """A choice validator whose message lists the choices."""
    return validate.OneOf(list(choices), error=f"must be one of {', '.join(choices)}")


def number(value: Any) -> float:
    """A finite TOML number as a float; ValidationError for anything else."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not isfinite(value):
        raise ValidationError("must be a finite number")
    return float(value)
