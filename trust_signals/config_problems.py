"""Problems of a configuration as 'path: message' lines.

Two sources: checks across entries on the raw parsed file (duplicate ids, overrides naming
what is not there), and marshmallow's nested error messages, flattened to paths such as
'badges[2].when.all[0].threshold' with 0-based indexes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from trust_signals.domain.badges import threshold_problem
from trust_signals.domain.signals import signal_catalogue


def _entries(raw: Mapping[str, Any], key: str) -> list[tuple[int, dict[str, Any]]]:
    items = raw.get(key)
    if not isinstance(items, list):
        return []
    return [(i, item) for i, item in enumerate(items) if isinstance(item, dict)]


def _duplicates(raw: Mapping[str, Any], key: str, name: str) -> Iterator[tuple[str, str]]:
    seen: set[str] = set()
    for index, item in _entries(raw, key):
        value = item.get(name)
        if isinstance(value, str) and value in seen:
            yield f"{key}[{index}].{name}", f"duplicate {name} {value!r}"
        elif isinstance(value, str):
            seen.add(value)


def _raw_conditions(node: Any) -> Iterator[dict[str, Any]]:
    if not isinstance(node, dict):
        return
    if "signal" in node:
        yield node
    for mode in ("all", "any"):
        children = node.get(mode)
        for child in children if isinstance(children, list) else []:
            yield from _raw_conditions(child)


def _override_problems(
    marketplace: str, override: Mapping[str, Any], badges: Mapping[str, Any]
) -> Iterator[tuple[str, str]]:
    path = f"marketplaces.{marketplace}"
    disabled = override.get("badges_disabled")
    for index, badge_id in enumerate(disabled if isinstance(disabled, list) else []):
        if badge_id not in badges:
            yield f"{path}.badges_disabled[{index}]", f"unknown badge {badge_id!r}"
    thresholds = override.get("thresholds")
    for key, value in (thresholds if isinstance(thresholds, dict) else {}).items():
        badge_id, _, condition_id = str(key).partition(".")
        here = f'{path}.thresholds["{key}"]'
        if badge_id not in badges:
            yield here, f"unknown badge {badge_id!r}"
            continue
        signals = {
            c.get("id"): c.get("signal") for c in _raw_conditions(badges[badge_id].get("when"))
        }
        if condition_id not in signals:
            yield here, f"badge {badge_id!r} has no condition with id {condition_id!r}"
        elif (
            signals[condition_id] in signal_catalogue()
            and isinstance(value, int | float)
            and not isinstance(value, bool)
        ):
            problem = threshold_problem(str(signals[condition_id]), value)
            if problem is not None:
                yield here, problem


def reference_problems(raw: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Problems across entries: duplicate ids and names, overrides naming what is not there."""
    problems = [
        *_duplicates(raw, "badges", "id"),
        *_duplicates(raw, "profile_stats", "id"),
        *_duplicates(raw, "ranking_features", "name"),
    ]
    badges = {b["id"]: b for _, b in _entries(raw, "badges") if isinstance(b.get("id"), str)}
    markets = raw.get("marketplaces")
    for marketplace, override in (markets if isinstance(markets, dict) else {}).items():
        if isinstance(override, dict):
            problems += _override_problems(str(marketplace), override, badges)
    return problems


def error_paths(messages: Any, path: str = "") -> list[str]:
    """Marshmallow's nested error messages as 'path: message' lines, in input order.

    Keys are field names, list indexes, '_schema' (the enclosing table itself), paths
    within a rule such as 'when.all[0].threshold', or quoted table keys such as
    '["badge.condition"]'.
    """
    if isinstance(messages, dict):
        lines = []
        for key, value in messages.items():
            if isinstance(key, int):
                child = f"{path}[{key}]"
            elif key == "_schema":
                child = path
            elif key.startswith("["):
                child = f"{path}{key}"
            else:
                child = f"{path}.{key}" if path else key
            lines += error_paths(value, child)
        return lines
    if isinstance(messages, list):
        return [line for item in messages for line in error_paths(item, path)]
    return [f"{path or '(file)'}: {messages}"]
