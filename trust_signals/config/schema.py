"""Marshmallow schemas of the approved TOML configuration: shape, types and ranges.

Every schema raises on unknown keys. Loading yields domain objects (badge rules, stat and
feature definitions) and plain dicts for the rest; `config.legal` assembles them. Errors come
back as marshmallow's nested dict, which `config_problems.error_paths` flattens to
'badges[2].when.all[0].threshold: must be between 0 and 1' lines (indexes 0-based).

Over 300 lines on purpose: one marshmallow schema per table of the config file.
"""

from __future__ import annotations

from typing import Any, Final

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from trust_signals.config.fields import Bool, Int, Table, TomlDate, number, one_of, real
from trust_signals.config.problems import CUT_SHORT, reference_problems
from trust_signals.domain.badges import (
    BOUNDS,
    COMPARATORS,
    SURFACES,
    BadgeRule,
    Condition,
    Group,
    VolumeWindow,
    rule_problems,
    signal_kind,
    threshold_problem,
)
from trust_signals.domain.coaching_offers import Resource
from trust_signals.domain.cohorts import DEFECT_TYPES, DIMENSIONS
from trust_signals.domain.indices import SELLER_DEFECTS
from trust_signals.domain.profile_stats import StatDefinition
from trust_signals.domain.ranking_features import TRANSFORMS, FeatureDefinition
from trust_signals.domain.signal_bounds import compile_bound
from trust_signals.domain.signals import GOOD_RATES, LEVELS, compile_signal, signal_catalogue
from trust_signals.domain.snapshots import MARKETPLACE_PATTERN, WINDOWS
from trust_signals.domain.store_stages import DEFAULT_STORE_STAGE, STORE_STAGES

ID_PATTERN: Final = r"^[a-z][a-z0-9_]{0,63}\Z"
STAT_FORMATS: Final = ("percent", "count", "rating")
_ID_ERROR: Final = "must be 1-64 characters of a-z 0-9 _, starting with a letter"


def _known_signal(reference: str) -> None:
    if reference not in signal_catalogue():
        raise ValidationError(f"unknown signal {reference!r}")


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class _ConditionNode(fields.Field):
    """A condition table, or a group table holding `all` or `any`."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, dict):
            raise ValidationError("must be a condition table or a group with all or any")
        if "all" in value or "any" in value:
            return GroupSchema().load(value)
        return ConditionSchema().load(value)


class ConditionSchema(_Strict):
    """One condition: signal, window, bound, comparator, threshold, min_sample, id."""

    id = fields.String(validate=validate.Regexp(ID_PATTERN, error=_ID_ERROR))
    signal = fields.String(required=True, validate=_known_signal)
    window = fields.String(validate=one_of(WINDOWS))
    bound = fields.String(required=True, validate=one_of(BOUNDS))
    comparator = fields.String(required=True, validate=one_of(COMPARATORS))
    threshold = real(required=True)
    min_sample = Int(validate=validate.Range(min=1))

    @validates_schema
    def _check_signal(self, data: dict[str, Any], **kwargs: Any) -> None:
        windowed = signal_catalogue()[data["signal"]]
        if not windowed and "window" in data:
            raise ValidationError(f"signal {data['signal']!r} has no window", "window")
        problem = threshold_problem(data["signal"], data["threshold"])
        if problem is not None:
            raise ValidationError(problem, "threshold")

    @post_load
    def _make(self, data: dict[str, Any], **kwargs: Any) -> Condition:
        return Condition(
            data["signal"],
            data["bound"],
            data["comparator"],
            data["threshold"],
            data.get("window"),
            data.get("min_sample", 0),
            data.get("id"),
        )


class GroupSchema(_Strict):
    """`all = [...]` or `any = [...]` over conditions and nested groups."""

    all = fields.List(_ConditionNode(), validate=validate.Length(min=1))
    any = fields.List(_ConditionNode(), validate=validate.Length(min=1))

    @validates_schema
    def _one_mode(self, data: dict[str, Any], **kwargs: Any) -> None:
        if ("all" in data) == ("any" in data):
            raise ValidationError("give exactly one of all, any")

    @post_load
    def _make(self, data: dict[str, Any], **kwargs: Any) -> Group:
        mode = "all" if "all" in data else "any"
        return Group(mode, tuple(data[mode]))


class VolumeWindowSchema(_Strict):
    """The eBay-style window choice: `then` if `signal` over `window` >= `at_least`."""

    signal = fields.String(required=True, validate=_known_signal)
    window = fields.String(required=True, validate=one_of(WINDOWS))
    at_least = real(required=True, validate=validate.Range(min=0))
    then = fields.String(required=True, validate=one_of(WINDOWS))
    otherwise = fields.String(required=True, validate=one_of(WINDOWS))

    @post_load
    def _make(self, data: dict[str, Any], **kwargs: Any) -> VolumeWindow:
        return VolumeWindow(**data)


class BadgeSchema(_Strict):
    """One `[[badges]]` rule, everything legal approved; only inherit_to_offers defaults."""

    id = fields.String(required=True, validate=validate.Regexp(ID_PATTERN, error=_ID_ERROR))
    level = fields.String(required=True, validate=one_of(LEVELS))
    inherit_to_offers = Bool(load_default=False)
    surfaces = fields.List(
        fields.String(validate=one_of(SURFACES)), required=True, validate=validate.Length(min=1)
    )
    priority = Int(required=True)
    marketplaces = fields.List(
        fields.String(validate=validate.Regexp(MARKETPLACE_PATTERN, error="must be like US")),
        required=True,
        validate=validate.Length(min=1),
    )
    effective_from = TomlDate(required=True)
    effective_until = TomlDate()
    enabled = Bool(required=True)
    copy_key = fields.String(required=True, validate=validate.Length(min=1))
    approval_reference = fields.String(required=True, validate=validate.Length(min=1))
    window = fields.String(validate=one_of(WINDOWS))
    window_by_volume = fields.Nested(VolumeWindowSchema)
    when = fields.Nested(GroupSchema, required=True)
    # condition id -> margin in its units; the ids and ranges are checked by rule_problems.
    keep_margin = Table(number, ID_PATTERN, _ID_ERROR, load_default=dict)

    @validates_schema
    def _check_rule(self, data: dict[str, Any], **kwargs: Any) -> None:
        problems: dict[str, list[str]] = {}
        for path, message in rule_problems(_badge_rule(data)):
            problems.setdefault(path, []).append(message)
        if problems:
            raise ValidationError(problems)

    @post_load
    def _make(self, data: dict[str, Any], **kwargs: Any) -> BadgeRule:
        return _badge_rule(data)


def _badge_rule(data: dict[str, Any]) -> BadgeRule:
    return BadgeRule(
        id=data["id"],
        level=data["level"],
        surfaces=frozenset(data["surfaces"]),
        priority=data["priority"],
        marketplaces=frozenset(data["marketplaces"]),
        effective_from=data["effective_from"],
        effective_until=data.get("effective_until"),
        enabled=data["enabled"],
        copy_key=data["copy_key"],
        approval_reference=data["approval_reference"],
        when=data["when"],
        inherit_to_offers=data["inherit_to_offers"],
        window=data.get("window"),
        window_by_volume=data.get("window_by_volume"),
        keep_margin=tuple(sorted(data["keep_margin"].items())),
    )


class StatSchema(_Strict):
    """One `[[profile_stats]]` entry: a seller signal shown on the seller profile page."""

    id = fields.String(required=True, validate=validate.Regexp(ID_PATTERN, error=_ID_ERROR))
    signal = fields.String(required=True, validate=_known_signal)
    windows = fields.List(
        fields.String(validate=one_of(WINDOWS)), required=True, validate=validate.Length(min=1)
    )
    min_sample = Int(required=True, validate=validate.Range(min=1))
    format = fields.String(required=True, validate=one_of(STAT_FORMATS))

    @validates_schema
    def _check_signal(self, data: dict[str, Any], **kwargs: Any) -> None:
        signal, kind = data["signal"], signal_kind(data["signal"])
        if not signal.startswith("seller.") or kind == "attribute":
            raise ValidationError("must be a windowed seller signal", "signal")
        if len(set(data["windows"])) != len(data["windows"]):
            raise ValidationError("must not repeat a window", "windows")
        expected = {"percent": ("rate",), "rating": ("rating",), "count": ("count", "index")}
        if kind not in expected[data["format"]]:
            raise ValidationError(f"{data['format']!r} does not fit a {kind} signal", "format")

    @post_load
    def _make(self, data: dict[str, Any], **kwargs: Any) -> StatDefinition:
        signal, windows = data["signal"], tuple(data["windows"])
        good = signal.partition(".")[2] in GOOD_RATES if signal_kind(signal) == "rate" else True
        return StatDefinition(
            id=data["id"],
            signal=signal,
            windows=windows,
            min_sample=data["min_sample"],
            format=data["format"],
            higher_is_better=good,
            compiled=tuple(compile_signal(signal, w) for w in windows),
        )


class RankingFeatureSchema(_Strict):
    """One `[[ranking_features]]` entry, in schema order."""

    name = fields.String(required=True, validate=validate.Regexp(ID_PATTERN, error=_ID_ERROR))
    signal = fields.String(required=True, validate=_known_signal)
    window = fields.String(validate=one_of(WINDOWS))
    bound = fields.String(load_default="point", validate=one_of(BOUNDS))
    transform = fields.String(load_default="identity", validate=one_of(TRANSFORMS))
    clip = fields.List(real(), validate=validate.Length(equal=2, error="must be [low, high]"))
    default = real(required=True)

    @validates_schema
    def _check(self, data: dict[str, Any], **kwargs: Any) -> None:
        try:
            compile_signal(data["signal"], data.get("window"))
        except ValueError as error:
            raise ValidationError(str(error), "window") from error
        if (data["transform"] == "clip") != ("clip" in data):
            raise ValidationError("required with transform 'clip', and only with it", "clip")
        if "clip" in data and data["clip"][0] > data["clip"][1]:
            raise ValidationError("low must not exceed high", "clip")

    @post_load
    def _make(self, data: dict[str, Any], **kwargs: Any) -> FeatureDefinition:
        low, high = data.get("clip", (None, None))
        return FeatureDefinition(
            name=data["name"],
            signal=data["signal"],
            window=data.get("window"),
            bound=data["bound"],
            transform=data["transform"],
            clip_min=low,
            clip_max=high,
            default=data["default"],
            compiled=compile_bound(data["signal"], data.get("window"), data["bound"]),
        )


def _seller_signal(reference: str) -> None:
    _known_signal(reference)
    if not reference.startswith("seller."):
        raise ValidationError("must be a seller signal: coaching covers the seller's badges")


class CoachingResourceSchema(_Strict):
    """One `[[coaching.resources]]` entry: a program or guide, for a defect type of the
    indices or for a criterion (a seller signal), rendered from its copy key."""

    defect = fields.String(validate=one_of(DEFECT_TYPES))
    criterion = fields.String(validate=_seller_signal)
    copy_key = fields.String(required=True, validate=validate.Length(min=1))
    link = fields.String(
        required=True,
        validate=validate.URL(schemes={"https"}, require_tld=True, error="must be an https URL"),
    )

    @validates_schema
    def _one_target(self, data: dict[str, Any], **kwargs: Any) -> None:
        if ("defect" in data) == ("criterion" in data):
            raise ValidationError("give exactly one of defect, criterion")

    @post_load
    def _make(self, data: dict[str, Any], **kwargs: Any) -> Resource:
        return Resource(data["copy_key"], data["link"], data.get("defect"), data.get("criterion"))


class CoachingSchema(_Strict):
    """`[coaching]`: what seller coaching points to; read at request time, never precomputed."""

    resources = fields.List(fields.Nested(CoachingResourceSchema), load_default=list)


class SurfaceSchema(_Strict):
    """A display surface's cap on badges per offer or seller."""

    max_badges = Int(required=True, validate=validate.Range(min=0))


class SurfacesSchema(_Strict):
    """Every surface must be configured: a missing cap is an unapproved display."""

    locals().update({name: fields.Nested(SurfaceSchema, required=True) for name in SURFACES})


class MaxIdsSchema(_Strict):
    """Per-call id limits of the batch endpoints."""

    badges = Int(required=True, validate=validate.Range(min=1))
    features = Int(required=True, validate=validate.Range(min=1))


def _weights_schema(family: str) -> type[Schema]:
    weights: dict[str, fields.Field[Any]] = {
        kind: real(required=True, validate=validate.Range(min=0)) for kind in SELLER_DEFECTS[family]
    }
    return _Strict.from_dict(weights, name=f"{family.capitalize()}WeightsSchema")


class DsiWeightsSchema(_Strict):
    """A DSI weight for every defect type of every family: no silent zero."""

    locals().update({f: fields.Nested(_weights_schema(f), required=True) for f in SELLER_DEFECTS})


class MarketplaceOverrideSchema(_Strict):
    """`[marketplaces.XX]`: the store's stage, badges switched off there and thresholds that
    differ there."""

    store_stage = fields.String(load_default=DEFAULT_STORE_STAGE, validate=one_of(STORE_STAGES))
    badges_disabled = fields.List(fields.String(), load_default=list)
    thresholds = Table(
        number,
        r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$",
        "must be 'badge_id.condition_id'",
        load_default=dict,
    )


def _tenure_edges(edges: list[int]) -> None:
    if any(b <= a for a, b in zip(edges, edges[1:], strict=False)):
        raise ValidationError("must be strictly increasing")


class EndSchema(_Strict):
    """`[end]`, the last table: a copy cut short lacks it (or its config_name) and is refused."""

    config_name = fields.String(
        required=True, validate=validate.Length(min=1), error_messages={"required": CUT_SHORT}
    )


class ConfigSchema(_Strict):
    """The whole file. Legal thresholds have no defaults: each must be in the file."""

    config_name = fields.String(required=True, validate=validate.Length(min=1))
    approval_reference = fields.String(required=True, validate=validate.Length(min=1))
    wilson_z = real(required=True, validate=validate.Range(min=0, min_inclusive=False))
    shrinkage_pseudo_orders = real(required=True, validate=validate.Range(min=0))
    shrinkage_cohort = fields.List(fields.String(validate=one_of(DIMENSIONS)), required=True)
    min_cohort_size = Int(required=True, validate=validate.Range(min=1))
    retained_snapshots = Int(required=True, validate=validate.Range(min=1))
    tenure_band_edges_days = fields.List(
        Int(validate=validate.Range(min=1)),
        required=True,
        validate=[validate.Length(min=1), _tenure_edges],
    )
    max_ids = fields.Nested(MaxIdsSchema, required=True)
    dsi_weights = fields.Nested(DsiWeightsSchema, required=True)
    surfaces = fields.Nested(SurfacesSchema, required=True)
    badges = fields.List(fields.Nested(BadgeSchema), required=True)
    profile_stats = fields.List(fields.Nested(StatSchema), required=True)
    ranking_features = fields.List(fields.Nested(RankingFeatureSchema), required=True)
    coaching = fields.Nested(CoachingSchema, load_default=dict)
    marketplaces = Table(
        MarketplaceOverrideSchema().load,
        MARKETPLACE_PATTERN,
        "must be a marketplace like US",
        load_default=dict,
    )
    end = fields.Nested(EndSchema, required=True, error_messages={"required": CUT_SHORT})

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _check_references(self, data: Any, original: Any, **kwargs: Any) -> None:
        # On the raw input, so these are reported even alongside field errors elsewhere.
        problems: dict[str, list[str]] = {}
        for path, message in reference_problems(original):
            problems.setdefault(path, []).append(message)
        if problems:
            raise ValidationError(problems)
