"""Problems of a configuration as 'path: message' lines.

Three sources: checks across entries on the raw parsed file (duplicate ids, overrides naming
what is not there), marshmallow's nested error messages, flattened to paths such as
'badges[2].when.all[0].threshold' with 0-based indexes, and the text's own ending (`[end]`
must be its last table, so that a copy cut short is never a valid config).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, Final

from trust_signals.domain.badges import threshold_problem
from trust_signals.domain.signals import signal_catalogue

# A table header line, `[name]` or `[[name]]` with an optional comment. A line of a multi-line
# array holding one bare value could look alike; none may follow `[end]` anyway.
CUT_SHORT: Final = (
    "missing: a config ends with an [end] table repeating its config_name; "
    "without it the file may be cut short"
)
_TABLE_HEADER: Final = re.compile(r"\s*\[\[?\s*([^\[\]#=,]+?)\s*\]\]?\s*(?:#.*)?")


def _entries(raw: Mapping[str, Any], key: str) -> list[tuple[int, dict[str, Any]]]:
    return _indexed_tables(raw.get(key))


def _indexed_tables(items: Any) -> list[tuple[int, dict[str, Any]]]:
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


def _repeated_resources(raw: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """A coaching resource given twice for the same defect or criterion."""
    coaching = raw.get("coaching")
    resources = coaching.get("resources") if isinstance(coaching, dict) else None
    seen: set[tuple[Any, ...]] = set()
    for index, item in _indexed_tables(resources):
        key = tuple(item.get(k) for k in ("defect", "criterion", "copy_key", "link"))
        if not all(isinstance(v, str | None) for v in key):
            continue
        if key in seen:
            target = item.get("defect") or item.get("criterion")
            yield (
                f"coaching.resources[{index}]",
                f"repeats resource {item.get('copy_key')!r} for {target!r}",
            )
        seen.add(key)


def reference_problems(raw: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Problems across entries: duplicate ids and names, overrides naming what is not there."""
    problems = [
        *_duplicates(raw, "badges", "id"),
        *_duplicates(raw, "profile_stats", "id"),
        *_duplicates(raw, "ranking_features", "name"),
        *_repeated_resources(raw),
    ]
    badges = {b["id"]: b for _, b in _entries(raw, "badges") if isinstance(b.get("id"), str)}
    markets = raw.get("marketplaces")
    for marketplace, override in (markets if isinstance(markets, dict) else {}).items():
        if isinstance(override, dict):
            problems += _override_problems(str(marketplace), override, badges)
    end = raw.get("end")
    name = end.get("config_name") if isinstance(end, dict) else None
    if isinstance(name, str) and name != raw.get("config_name"):
        problems.append(
            ("end.config_name", f"must equal config_name {raw.get('config_name')!r}, got {name!r}")
        )
    return problems


def ending_problems(text: str) -> list[str]:
    """Problems of where the text ends: its last table header must be `[end]`.

    Checked on the text, because the parsed file no longer says where a table was written,
    and even when the text is not valid TOML: a copy cut short then names what it lacks.
    """
    headers = [
        (number, match[1])
        for number, line in enumerate(text.splitlines(), 1)
        if (match := _TABLE_HEADER.fullmatch(line))
    ]
    names = [name.strip("\"'") for _, name in headers]
    if "end" not in names:
        return [f"end: {CUT_SHORT}"]
    if names[-1] != "end":
        line, name = headers[-1]
        return [f"end: must be the last table of the file, but [{name}] follows it at line {line}"]
    return []


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
