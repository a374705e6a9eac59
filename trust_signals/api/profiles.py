"""Seller-facing calls: the seller profile page, benchmarks and programs."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import Blueprint, Response, request

from trust_signals.api.extension import answer_response, check_path_id, json_response, trust_signals
from trust_signals.api.openapi import documented
from trust_signals.api.responses import (
    BenchmarkResponseSchema,
    ProfileResponseSchema,
    ProgramsResponseSchema,
)
from trust_signals.api.schemas import (
    BenchmarkQuerySchema,
    MarketplaceQuerySchema,
    ProgramsQuerySchema,
    badge_list,
    stat_body,
)
from trust_signals.service.reports import BenchmarkReport, benchmark_answer, programs_answer
from trust_signals.service.stage_reports import StageComparison

bp = Blueprint("profiles", __name__)
_MARKETPLACE_QUERY = MarketplaceQuerySchema()
_BENCHMARK_QUERY = BenchmarkQuerySchema()
_PROGRAMS_QUERY = ProgramsQuerySchema()


@bp.get("/v1/sellers/<seller_id>/profile")
@documented(
    "SPP: stats with display strings, samples and windows; the seller's badges",
    ProfileResponseSchema,
    query=MarketplaceQuerySchema,
    problems=(400, 404, 503),
)
def get_profile(seller_id: str) -> Response:
    """The SPP call: stats with display strings, samples and windows, and seller badges."""
    args = _MARKETPLACE_QUERY.load(request.args.to_dict())
    found = trust_signals().profile(args["marketplace"], check_path_id(seller_id, "seller id"))
    return answer_response(
        found.envelope,
        {
            "seller_id": found.seller_id,
            "stats": [stat_body(s) for s in found.stats],
            "badges": badge_list(found.badges),
        },
    )


def _benchmark_body(report: BenchmarkReport) -> dict[str, Any]:
    cohort = report.cohort
    body: dict[str, Any] = {
        "seller_id": report.seller_id,
        "cohort": {"key": report.cohort_key, "withheld": cohort is None},
        "metrics": {},
        "first_party": [
            {"seller_id": seller_id, "metrics": metrics}
            for seller_id, metrics in report.first_party
        ],
        "improvement_opportunities": [
            {"family": family, "defect_type": kind, "index_points": round(points, 3)}
            for family, kind, points in report.opportunities
        ],
    }
    if cohort is None:
        body["cohort"]["reason"] = "cohort below the minimum size; not shown"
    else:
        body["cohort"]["size"] = cohort.size
    for metric, value in report.metrics.items():
        entry: dict[str, Any] = {"value": value}
        bench = cohort.metrics.get(metric) if cohort is not None else None
        if bench is not None:
            entry.update(
                percentile=report.percentiles.get(metric),
                cohort_p25=bench.p25,
                cohort_median=bench.p50,
                cohort_p75=bench.p75,
                cohort_count=bench.count,
            )
        body["metrics"][metric] = entry
    return body


def _comparison_body(comparison: StageComparison) -> dict[str, Any]:
    pooled = comparison.cohort
    body: dict[str, Any] = {
        "marketplaces": list(comparison.marketplaces),
        "cohort": None,
        "reason": comparison.reason,
        "metrics": {},
    }
    if pooled is not None:
        body["cohort"] = {"key": pooled.key, "size": pooled.size, "sizes": dict(pooled.sizes)}
        body["metrics"] = {
            metric: {
                "percentile": comparison.percentiles.get(metric),
                "cohort_p25": bench.p25,
                "cohort_median": bench.p50,
                "cohort_p75": bench.p75,
                "cohort_count": bench.count,
            }
            for metric, bench in pooled.metrics.items()
        }
    return body


@bp.get("/v1/sellers/<seller_id>/benchmark")
@documented(
    "The seller against a chosen cohort and first-party retail, with what to improve; "
    "with compare=established, against the same cohort in the established stores too",
    BenchmarkResponseSchema,
    query=BenchmarkQuerySchema,
    problems=(400, 404, 503),
)
def get_benchmark(seller_id: str) -> Response:
    """The seller against the chosen cohort and first-party retail, with what to improve;
    with `compare`, against the same cohort in that stage's stores too."""
    schema = _BENCHMARK_QUERY
    args = schema.load(request.args.to_dict())
    found = benchmark_answer(
        trust_signals(),
        args["marketplace"],
        check_path_id(seller_id, "seller id"),
        schema.load_dimensions(args["dimensions"]),
        args.get("compare"),
    )
    body = {"dimensions": list(found.dimensions), **_benchmark_body(found.report)}
    if found.comparison is not None:
        body[found.comparison.stage] = _comparison_body(found.comparison)
    return answer_response(found.envelope, body)


@bp.get("/v1/programs")
@documented(
    "FQ/CSQ indices pooled per program group, or marketplaces or store stages side by side",
    ProgramsResponseSchema,
    query=ProgramsQuerySchema,
    problems=(400, 404, 503),
)
def get_programs() -> Response:
    """FQ/CSQ indices pooled per program group, or marketplaces or store stages side by side."""
    args = _PROGRAMS_QUERY.load(request.args.to_dict())
    found = programs_answer(
        trust_signals(), args.get("marketplace"), args["group_by"], args["window"]
    )
    return json_response(
        {
            "snapshot_ids": dict(found.snapshot_ids),
            "config_version": found.config_version,
            "group_by": found.group_by,
            "window": found.window,
            "groups": [asdict(g) for g in found.groups],
        }
    )
