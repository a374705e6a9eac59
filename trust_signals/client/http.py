"""HTTP client for the services that call trust-signals: pooled, retrying, fail-open, breaker.

Every call the service offers is a read, so every client call is idempotent: the GETs, and
POST /v1/badges and POST /v1/features, which are POSTs only so that a long id list fits in a
body, and POST /v1/sellers/<id>/what-if, which projects without changing anything. That is
what makes retrying them safe, even after a connection broke mid-request.

Over 300 lines on purpose: one public method per call of the API, each with its fail-open
answer.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, Protocol, TypeVar
from urllib.parse import quote

import orjson
import requests
from requests.adapters import HTTPAdapter

import trust_signals
from trust_signals.breaker import CircuitBreaker
from trust_signals.client.errors import (
    MalformedResponse,
    NotFound,
    RequestRejected,
    ServiceUnavailable,
)
from trust_signals.client.feature_schema import A, DefaultsSeen, FeatureSchema, defaults_seen
from trust_signals.client.results import (
    Badge,
    BadgesResult,
    Benchmark,
    Coaching,
    FeaturesResult,
    OfferResult,
    Programs,
    SellerProfile,
    Status,
    WhatIf,
    parse_badges,
    parse_benchmark,
    parse_coaching,
    parse_features,
    parse_offer,
    parse_profile,
    parse_programs,
    parse_status,
    parse_what_if,
)

if TYPE_CHECKING:
    import pyarrow as pa


T = TypeVar("T")
V = TypeVar("V", bound="_Versioned")
Clock = Callable[[], float]
RETRY_STATUSES: Final = frozenset({502, 503, 504})
# 408 and 429 say the service (or a proxy) is busy, not that the request is wrong.
BUSY_STATUSES: Final = frozenset({408, 429})
SERVICE_TROUBLE: Final = (ServiceUnavailable, MalformedResponse)
JSON: Final = "application/json"


class _Versioned(Protocol):
    @property
    def snapshot_id(self) -> str | None: ...
    @property
    def config_version(self) -> str | None: ...


def _chunks(ids: Sequence[str], size: int) -> list[list[str]]:
    if isinstance(ids, str):
        raise TypeError("offer_ids must be a sequence of ids, not one string")
    ids = list(ids)
    return [ids[i : i + size] for i in range(0, len(ids), size)] or [[]]


def _problem(response: requests.Response) -> tuple[str | None, str]:
    """The problem+json `code` and `detail`, or (None, a short excerpt) for another body."""
    try:
        body = orjson.loads(response.content)
        return str(body["code"]), str(body["detail"])
    except (orjson.JSONDecodeError, KeyError, TypeError):
        return None, response.text[:200] or response.reason or "no detail"


class TrustSignalsClient:
    """Calls the trust-signals HTTP API; results are frozen dataclasses.

    Fail-open (`strict=False`, the default): service trouble (timeout, connection failure,
    5xx, 408/429, malformed body, open breaker) never raises; the call returns a result with
    `degraded=True`: no badges, no stats, feature defaults marked missing. 4xx always raises
    `RequestRejected` (`NotFound` for 404). `strict=True` raises `ServiceUnavailable` or
    `MalformedResponse` instead of degrading.

    Degraded features: the default vector comes from what earlier good answers taught the
    client for that marketplace (names, schema version, and each default, read off masked
    positions, which the service fills with the configured default), else from the
    `feature_defaults` name -> default mapping, else the vectors are empty tuples.

    Id lists longer than `max_badge_ids` / `max_feature_ids` go out in batches, merged in
    the order asked. A batch that fails in fail-open mode gives its ids the degraded answer
    while the other batches keep theirs (`degraded=True`; `snapshot_id` names the answered
    batches and is None only when none answered).

    One client is meant to be shared by a process's threads (one pool, one breaker).
    """

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float | tuple[float, float] = (0.05, 0.1),
        retries: int = 1,
        pool_size: int = 32,
        api_key: str | None = None,
        strict: bool = False,
        breaker_failures: int = 5,
        breaker_reset_seconds: float = 5.0,
        session: requests.Session | None = None,
        max_badge_ids: int = 100,
        max_feature_ids: int = 1000,
        feature_defaults: Mapping[str, float] | None = None,
        backoff_seconds: float = 0.01,
        clock: Clock = time.monotonic,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must be an http(s) URL, got {base_url!r}")
        if retries < 0 or max_badge_ids < 1 or max_feature_ids < 1:
            raise ValueError("retries must be >= 0 and batch sizes >= 1")
        self._base_url = base_url.rstrip("/")
        self._timeout = timeout
        self._retries = retries
        self._strict = strict
        self._max_badge_ids = max_badge_ids
        self._max_feature_ids = max_feature_ids
        self._feature_defaults = dict(feature_defaults or {})
        self._backoff_seconds = backoff_seconds
        self.breaker = CircuitBreaker(breaker_failures, breaker_reset_seconds, clock)
        self._schemas: dict[str, FeatureSchema] = {}
        self._schemas_lock = threading.Lock()
        self._headers = {
            "User-Agent": f"trust-signals-client/{trust_signals.__version__}",
            "Accept": JSON,
        }
        if api_key is not None:
            self._headers["Authorization"] = f"Bearer {api_key}"
        self._owns_session = session is None
        if session is None:
            session = requests.Session()
            # One base URL means one host pool; max_retries=0 because retries happen here,
            # where they can be limited to idempotent calls and to the statuses that allow it.
            adapter = HTTPAdapter(pool_connections=1, pool_maxsize=pool_size, max_retries=0)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
        self._session = session

    def __enter__(self) -> TrustSignalsClient:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool (a session passed in is left to its owner)."""
        if self._owns_session:
            self._session.close()

    # -- calls ------------------------------------------------------------------------

    def badges(self, marketplace: str, surface: str, offer_ids: Sequence[str]) -> BadgesResult:
        """Badges for offers on `surface` ('search' or 'pdp'), one entry per id in order."""
        chunks = _chunks(offer_ids, self._max_badge_ids)

        def fetch(chunk: list[str]) -> BadgesResult:
            body = {"marketplace": marketplace, "surface": surface, "offer_ids": chunk}
            return self._call("POST", "/v1/badges", lambda b: parse_badges(b, chunk), json=body)

        parts = self._fetch_batches(chunks, fetch)
        good = [p for p in parts if p is not None]
        merged: dict[str, tuple[Badge, ...]] = {}
        for chunk, part in zip(chunks, parts, strict=True):
            merged.update((i, part.badges[i] if part else ()) for i in chunk)
        return BadgesResult(
            snapshot_id=good[-1].snapshot_id if good else None,
            config_version=good[-1].config_version if good else None,
            marketplace=marketplace,
            surface=surface,
            badges=merged,
            missing=tuple(i for p in good for i in p.missing),
            degraded=len(good) < len(parts),
        )

    def features(self, marketplace: str, offer_ids: Sequence[str]) -> FeaturesResult:
        """Ranking feature vectors and missing masks, one per id in order."""
        chunks = _chunks(offer_ids, self._max_feature_ids)

        def fetch(chunk: list[str]) -> FeaturesResult:
            body = {"marketplace": marketplace, "offer_ids": chunk}
            return self._call("POST", "/v1/features", lambda b: parse_features(b, chunk), json=body)

        parts = self._fetch_batches(chunks, fetch)
        good = [p for p in parts if p is not None]
        schema = self._learn_schema(marketplace, good, defaults_seen)
        fallback = schema.default_vector(self._feature_defaults) if schema else None
        vectors: dict[str, tuple[float, ...]] = {}
        masks: dict[str, tuple[bool, ...]] = {}
        for chunk, part in zip(chunks, parts, strict=True):
            if part is not None:
                vectors.update((i, part.vectors[i]) for i in chunk)
                masks.update((i, part.missing_mask[i]) for i in chunk)
            else:
                vectors.update((i, fallback or ()) for i in chunk)
                masks.update((i, (True,) * len(fallback or ())) for i in chunk)
        names = schema.names if schema and (good or fallback) else ()
        return FeaturesResult(
            snapshot_id=good[-1].snapshot_id if good else None,
            config_version=good[-1].config_version if good else None,
            marketplace=marketplace,
            schema_version=schema.version if schema and (good or fallback) else None,
            feature_names=names,
            vectors=vectors,
            missing_mask=masks,
            missing=tuple(i for p in good for i in p.missing),
            degraded=len(good) < len(parts),
        )

    def features_table(self, marketplace: str, offer_ids: Sequence[str]) -> pa.Table:
        """The ranking answer as a pyarrow Table, one row per id in order: `offer_id`, and
        `values` (float32) and `missing` (bool) as fixed-size lists in `feature_names` order.
        The schema's metadata names the snapshot, config, schema, features, missing ids and
        whether it is degraded. Fails open as `features` does: a batch that fails gets the
        defaults (NaN where one is still unknown), all masked. Needs pyarrow
        (`pip install 'trust-signals[arrow]'`)."""
        try:
            from trust_signals.client import tables
        except ModuleNotFoundError as error:
            raise ModuleNotFoundError(
                f"TrustSignalsClient.features_table needs {error.name}: "
                "pip install 'trust-signals[arrow]'",
                name=error.name,
            ) from error
        chunks = _chunks(offer_ids, self._max_feature_ids)

        def fetch(chunk: list[str]) -> tables.TableBatch:
            body = {"marketplace": marketplace, "offer_ids": chunk}
            return self._call(
                "POST",
                "/v1/features",
                lambda content: tables.read_batch(content, chunk),
                json=body,
                accept=tables.ARROW_STREAM,
            )

        parts = self._fetch_batches(chunks, fetch)
        good = [p for p in parts if p is not None]
        schema = self._learn_schema(marketplace, good, tables.TableBatch.defaults_seen)
        known = schema or FeatureSchema(None, (), ())
        defaults = known.default_values(self._feature_defaults)
        return tables.joined(marketplace, chunks, parts, known.version, known.names, defaults)

    def offer(self, marketplace: str, offer_id: str) -> OfferResult:
        """The PDP call: the offer's PDP badges and its seller's shown stats."""
        path = f"/v1/offers/{quote(offer_id, safe='')}"
        return self._guarded(
            lambda: self._call("GET", path, parse_offer, params={"marketplace": marketplace}),
            lambda: OfferResult(None, None, marketplace, offer_id, None, (), (), degraded=True),
        )

    def seller_profile(self, marketplace: str, seller_id: str) -> SellerProfile:
        """The SPP call: every profile stat (withheld ones say why) and the seller's badges."""
        path = f"/v1/sellers/{quote(seller_id, safe='')}/profile"
        return self._guarded(
            lambda: self._call("GET", path, parse_profile, params={"marketplace": marketplace}),
            lambda: SellerProfile(None, None, marketplace, seller_id, (), (), degraded=True),
        )

    def benchmark(
        self,
        marketplace: str,
        seller_id: str,
        dimensions: Iterable[str] = (),
        compare: str | None = None,
    ) -> Benchmark:
        """The seller against its cohort on `dimensions` (tenure, location, category, channel);
        with `compare="established"`, against the same cohort in the established stores too."""
        chosen = tuple(dimensions)
        path = f"/v1/sellers/{quote(seller_id, safe='')}/benchmark"
        params = {"marketplace": marketplace, "dimensions": ",".join(chosen)}
        if compare is not None:
            params["compare"] = compare
        return self._guarded(
            lambda: self._call("GET", path, parse_benchmark, params=params),
            lambda: Benchmark(
                None, None, marketplace, seller_id, chosen, None, {}, (), (), None, degraded=True
            ),
        )

    def coaching(
        self, marketplace: str, seller_id: str, dimensions: Iterable[str] = ()
    ) -> Coaching:
        """What each seller badge the seller misses takes, its offers on the offer badges and
        what to improve first against its cohort on `dimensions` (as for `benchmark`)."""
        chosen = tuple(dimensions)
        path = f"/v1/sellers/{quote(seller_id, safe='')}/coaching"
        params = {"marketplace": marketplace, "dimensions": ",".join(chosen)}
        return self._guarded(
            lambda: self._call("GET", path, parse_coaching, params=params),
            lambda: Coaching(None, None, marketplace, seller_id, None, (), (), (), degraded=True),
        )

    def what_if(
        self,
        marketplace: str,
        seller_id: str,
        targets: Iterable[Mapping[str, Any]],
        dimensions: Iterable[str] = (),
    ) -> WhatIf:
        """The seller's indices, cohort percentiles and seller badges with target defect
        counts: each target `{"defect": "late_shipment", "window": "90d", "count": 2}` or with
        `"rate": 0.01` (defects per opportunity). A read like the others: safe to retry."""
        chosen = tuple(dimensions)
        path = f"/v1/sellers/{quote(seller_id, safe='')}/what-if"
        body = {
            "marketplace": marketplace,
            "dimensions": list(chosen),
            "targets": [dict(target) for target in targets],
        }
        return self._guarded(
            lambda: self._call("POST", path, parse_what_if, json=body),
            lambda: WhatIf(
                None, None, marketplace, seller_id, chosen, None, (), (), (), None, degraded=True
            ),
        )

    def programs(
        self, group_by: str, marketplace: str | None = None, window: str = "90d"
    ) -> Programs:
        """FQ/CSQ indices per program group: `group_by` is fulfillment_channel, cs_provider,
        first_party, or, side by side, marketplace or store_stage (emerging, established)."""
        params = {"group_by": group_by, "window": window}
        if marketplace is not None:
            params["marketplace"] = marketplace
        return self._guarded(
            lambda: self._call("GET", "/v1/programs", parse_programs, params=params),
            lambda: Programs({}, None, group_by, window, (), degraded=True),
        )

    def status(self) -> Status:
        """The answering worker's active snapshots, retained snapshots and config version."""
        return self._guarded(
            lambda: self._call("GET", "/v1/status", parse_status),
            lambda: Status(None, None, {}, (), None, degraded=True),
        )

    # -- machinery --------------------------------------------------------------------

    def _guarded(self, call: Callable[[], T], fallback: Callable[[], T]) -> T:
        try:
            return call()
        except SERVICE_TROUBLE:
            if self._strict:
                raise
            return fallback()

    def _fetch_batches(
        self, chunks: list[list[str]], fetch: Callable[[list[str]], V]
    ) -> list[V | None]:
        """One result per chunk (None where fail-open swallowed trouble), on one snapshot.

        A snapshot activation or config reload between two batches would mix versions in one
        answer: the batches that disagree with the last batch are fetched once more, and if
        they still disagree the merged result names the last batch's versions.
        """
        parts: list[V | None] = [self._guarded(partial(fetch, c), _none) for c in chunks]
        good = [p for p in parts if p is not None]
        target = _versions(good[-1]) if good else None
        for index, part in enumerate(parts):
            if part is not None and _versions(part) != target:
                again = self._guarded(partial(fetch, chunks[index]), _none)
                parts[index] = part if again is None else again
        return parts

    def _learn_schema(
        self, marketplace: str, good: Sequence[A], seen: DefaultsSeen[A]
    ) -> FeatureSchema | None:
        """The marketplace's schema as known after `good` answers (each form of answer says
        which defaults it shows with `seen`), else from the constructor's defaults."""
        with self._schemas_lock:
            schema = self._schemas.get(marketplace)
            for part in good:
                schema = (schema or FeatureSchema(None, (), ())).learn(part, seen)
            if schema is None and self._feature_defaults:
                names = tuple(self._feature_defaults)
                schema = FeatureSchema(None, names, (None,) * len(names))
            elif schema is not None and good:
                self._schemas[marketplace] = schema
            return schema

    def _call(
        self,
        method: str,
        path: str,
        parse: Callable[[Any], T],
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        accept: str = JSON,
    ) -> T:
        """One logical call through the breaker: parsed result, or a typed error. `parse`
        gets the JSON body, or the raw bytes when `accept` asks for another media type."""
        if not self.breaker.allow():
            raise ServiceUnavailable(f"circuit breaker open for {self._base_url}; not calling")
        healthy = False
        try:
            response = self._send(method, path, params, json, accept)
            status = response.status_code
            if 400 <= status < 500 and status not in BUSY_STATUSES:
                healthy = True
                code, detail = _problem(response)
                rejected = NotFound if status == 404 else RequestRejected
                raise rejected(status, code, detail)
            if not 200 <= status < 300:
                raise ServiceUnavailable(_problem(response)[1], status)
            if accept != JSON:
                result = parse(response.content)
            else:
                try:
                    body = orjson.loads(response.content)
                except orjson.JSONDecodeError:
                    raise MalformedResponse(f"{method} {path}: the body is not JSON") from None
                result = parse(body)
            healthy = True
            return result
        finally:
            if healthy:
                self.breaker.record_success()
            else:
                self.breaker.record_failure()

    def _send(
        self, method: str, path: str, params: Mapping[str, str] | None, json: Any, accept: str
    ) -> requests.Response:
        """The response, retried with backoff on connection errors and 502/503/504 only.

        A read timeout is not retried: the budget is already spent, and the breaker, not a
        second wait, is what protects a caller from a slow service.
        """
        url = self._base_url + path
        headers = self._headers if accept == JSON else {**self._headers, "Accept": accept}
        data = None
        if json is not None:
            headers = {**headers, "Content-Type": "application/json"}
            data = orjson.dumps(json)
        for attempt in range(self._retries + 1):
            last = attempt == self._retries
            try:
                response = self._session.request(
                    method,
                    url,
                    params=params,
                    data=data,
                    headers=headers,
                    timeout=self._timeout,
                    allow_redirects=False,
                )
            except requests.ConnectionError as error:  # refused, reset, connect timeout
                if last:
                    raise ServiceUnavailable(f"{method} {path}: {type(error).__name__}") from error
            except requests.RequestException as error:  # read timeout, broken body
                raise ServiceUnavailable(f"{method} {path}: {type(error).__name__}") from error
            else:
                if last or response.status_code not in RETRY_STATUSES:
                    return response
                response.close()
            # Jitter spreads the retries of many callers that failed at the same moment.
            time.sleep(self._backoff_seconds * (2**attempt) * random.uniform(0.5, 1.5))
        raise AssertionError("unreachable: the last attempt returns or raises")


def _none() -> None:
    """The fail-open answer of a batch: nothing."""
    return None


def _versions(result: _Versioned) -> tuple[str | None, str | None]:
    return result.snapshot_id, result.config_version
