"""The service's exception hierarchy: no HTTP codes here, the API maps them."""

from __future__ import annotations

from collections.abc import Sequence

from trust_signals.plurals import counted


class TrustSignalsError(Exception):
    """Base of every error this package raises on purpose."""


class SnapshotNotFound(TrustSignalsError):
    """An entity or snapshot that the active data does not hold."""

    def __init__(self, kind: str, id: str) -> None:
        super().__init__(f"{kind} {id!r} not found")
        self.kind = kind
        self.id = id


class StoreUnavailable(TrustSignalsError):
    """The snapshot store cannot answer; raised `from` the driver's error."""


class StoreNotFound(TrustSignalsError):
    """No store where the settings point: nothing was ever stored there."""

    def __init__(self, where: str) -> None:
        super().__init__(f"no store at {where}")
        self.where = where


class ConfigError(TrustSignalsError):
    """An invalid configuration; `problems` lists every one as 'path: message'."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("invalid configuration:\n" + "\n".join(problems))
        self.problems = tuple(problems)


class ConfigVersionNotFound(TrustSignalsError):
    """A config version the store does not hold."""

    def __init__(self, version: str) -> None:
        super().__init__(f"config version {version!r} is not stored")
        self.version = version


class SnapshotRejected(TrustSignalsError):
    """A snapshot that failed verification; `problems` lists 'file:line: field: problem'."""

    def __init__(self, problems: Sequence[str], total: int | None = None) -> None:
        self.problems = tuple(problems)
        self.total = len(self.problems) if total is None else total
        more = (
            f"\n… and {self.total - len(self.problems)} more" if self.total > len(problems) else ""
        )
        super().__init__(
            f"snapshot refused ({counted(self.total, 'problem')}):\n" + "\n".join(problems) + more
        )


class SnapshotExists(SnapshotRejected):
    """A snapshot_id that is already loaded; loading it again needs `force`."""

    def __init__(self, snapshot_id: str) -> None:
        super().__init__([f"snapshot_id: {snapshot_id!r} is already loaded (force replaces it)"])
        self.snapshot_id = snapshot_id


class SnapshotInUse(TrustSignalsError):
    """A snapshot that cannot be deleted because it is the active one of its marketplace."""

    def __init__(self, snapshot_id: str) -> None:
        super().__init__(
            f"snapshot {snapshot_id!r} is active; activate another one before deleting it"
        )
        self.snapshot_id = snapshot_id


class SnapshotRetiring(TrustSignalsError):
    """A snapshot that stopped being active so recently that a worker may still serve it."""

    def __init__(self, snapshot_id: str, seconds_left: float) -> None:
        super().__init__(
            f"snapshot {snapshot_id!r} was active {seconds_left:.1f} s too recently: workers "
            "may still be serving it; it can be deleted once they have all moved on"
        )
        self.snapshot_id = snapshot_id
        self.seconds_left = seconds_left


class SnapshotDataMissing(StoreUnavailable):
    """The store answers but no longer holds the snapshot being served (its data was lost or
    deleted): reads fail open, as when the store is down, until a snapshot is active again."""


class NoActiveSnapshot(TrustSignalsError):
    """Nothing to serve yet: no marketplace has an active snapshot."""


class ActivationRefused(TrustSignalsError):
    """An activation the shrink guard refused: an empty snapshot, or one far smaller than the
    one it would replace (`--allow-shrink` overrides the latter)."""


class ConfigRefused(TrustSignalsError):
    """The store's active config could not be read; `served` is the version still serving."""

    def __init__(self, reason: str, served: str) -> None:
        super().__init__(reason)
        self.served = served


class SignalsNotReady(TrustSignalsError):
    """A snapshot's precomputed signals under a config's signals version are not stored yet:
    that config (or snapshot) is not served until they are."""


class TooManyIds(TrustSignalsError):
    """A batch larger than the configured limit of its call."""

    def __init__(self, count: int, limit: int) -> None:
        super().__init__(f"{count} ids asked; at most {limit} per call")
        self.count = count
        self.limit = limit


class InvalidTargets(TrustSignalsError):
    """What-if targets that cannot be tried on the seller (e.g. more defects than
    opportunities), each problem as 'path: message'."""

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        self.problems = [f"{path}: {message}" for path, message in problems]
        super().__init__("; ".join(self.problems))
