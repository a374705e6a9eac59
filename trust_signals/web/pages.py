"""The seller's benchmark and coaching page: HTML for people, rendered on the server.

A page opens only with a signed link for its own seller and marketplace (`web.links`);
anything else gets the same plain 403, which says nothing about the seller or why. The page
needs no JavaScript; its forms are GETs, so every view of it is a link.
"""

from __future__ import annotations

import logging
from typing import Final

from flask import Blueprint, Response, g, render_template, request

from trust_signals.api.extension import services
from trust_signals.api.openapi import html_page
from trust_signals.domain.cohorts import canonical_dimensions
from trust_signals.domain.snapshots import WINDOWS
from trust_signals.errors import NoActiveSnapshot, SnapshotNotFound, StoreUnavailable
from trust_signals.service.cohort_artifacts import BENCHMARK_WINDOW
from trust_signals.service.seller_page import seller_page_answer
from trust_signals.service.view import UnknownMarketplace
from trust_signals.web.links import LinkRefused, check_token
from trust_signals.web.seller_page import page_context

log = logging.getLogger(__name__)
bp = Blueprint("pages", __name__, template_folder="templates")
# No script runs on these pages and nothing is fetched: styles are inline, charts are
# inline SVG. The token in the address must not leave in a Referer.
SECURITY_HEADERS: Final = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}


class PageProblem(Exception):
    """A request for a page that cannot be shown, with the status and what to tell the
    visitor (who holds a valid link, so may learn what is wrong)."""

    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail


@bp.after_request
def _secure(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    return response


@bp.get("/sellers/<seller_id>")
@html_page
def seller_page(seller_id: str) -> str | tuple[str, int]:
    """The seller's own benchmark and coaching page, for the holder of its signed link."""
    found = services()
    marketplace, token = request.args.get("marketplace"), request.args.get("t")
    try:
        check_token(
            found.settings.seller_link_secret, token, seller_id, marketplace, found.signals.now()
        )
    except LinkRefused as refused:
        log.warning("seller page refused: %s", refused)
        return render_template("link_refused.html"), 403
    assert marketplace is not None and token is not None  # the token binds both
    window = request.args.get("window", BENCHMARK_WINDOW)
    if window not in WINDOWS:
        raise PageProblem(400, "Unknown window", f"Pick one of {', '.join(WINDOWS)}.")
    try:
        dimensions = canonical_dimensions(
            d for raw in request.args.getlist("dimensions") for d in raw.split(",") if d
        )
    except ValueError as error:
        raise PageProblem(400, "Unknown cohort dimension", f"{error}.") from None
    answer = seller_page_answer(found.signals, marketplace, seller_id, dimensions, window)
    return render_template("seller_page.html", **page_context(answer, token))


@bp.errorhandler(PageProblem)
def _problem(error: PageProblem) -> tuple[str, int]:
    return render_template("page_problem.html", title=error.title, detail=error.detail), (
        error.status
    )


@bp.errorhandler(SnapshotNotFound)
@bp.errorhandler(UnknownMarketplace)
def _not_found(error: Exception) -> tuple[str, int]:
    detail = "This marketplace's current figures do not include this seller yet."
    return render_template("page_problem.html", title="No figures yet", detail=detail), 404


@bp.errorhandler(StoreUnavailable)
@bp.errorhandler(NoActiveSnapshot)
def _unavailable(error: Exception) -> tuple[str, int, dict[str, str]]:
    log.warning("seller page unavailable: %s", error)
    detail = "The figures cannot be read right now. Please try again in a minute."
    page = render_template("page_problem.html", title="Try again shortly", detail=detail)
    return page, 503, {"Retry-After": "5"}


@bp.errorhandler(Exception)
def _internal(error: Exception) -> tuple[str, int]:
    request_id = g.get("request_id")
    log.exception("seller page failed, request_id=%s", request_id)
    detail = f"Something went wrong on our side (reference {request_id}). Please try again later."
    return render_template("page_problem.html", title="Something went wrong", detail=detail), 500
