"""A snapshot directory's manifest.json: its schema, and the checks of the files it lists."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Final

import orjson
from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validate

from trust_signals.domain.snapshots import ID_PATTERN
from trust_signals.errors import SnapshotRejected
from trust_signals.ingest.json_keys import repeated_keys
from trust_signals.ingest.validation import flattened_problems

MANIFEST_NAME: Final = "manifest.json"
SCHEMA_VERSION: Final = 1
# The record schemas' id and marketplace rules, anchored with \Z: `$` would let a trailing
# newline through, and the snapshot_id becomes a file name.
_MARKETPLACE: Final = r"^[A-Z]{2}\Z"
_FILE_NAME: Final = r"^[A-Za-z0-9][A-Za-z0-9._-]*\Z"
_SHA256: Final = r"^[0-9a-fA-F]{64}\Z"
_CHUNK_BYTES: Final = 1 << 20


@dataclass(frozen=True, slots=True)
class ManifestFile:
    """One data file as the manifest declares it."""

    path: str
    records: int
    sha256: str


@dataclass(frozen=True, slots=True)
class Manifest:
    """What a snapshot directory declares about itself."""

    snapshot_id: str
    marketplace: str
    as_of: date
    sellers: ManifestFile
    offers: ManifestFile


class ManifestFileSchema(Schema):
    """One entry of manifest.files."""

    class Meta:
        unknown = RAISE

    path = fields.String(
        required=True,
        validate=validate.Regexp(_FILE_NAME, error="must be a file name in the snapshot directory"),
    )
    records = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    sha256 = fields.String(
        required=True, validate=validate.Regexp(_SHA256, error="must be 64 hex digits")
    )

    @post_load
    def _build(self, data: dict[str, Any], **_: Any) -> ManifestFile:
        return ManifestFile(data["path"], data["records"], data["sha256"].lower())


class ManifestFilesSchema(Schema):
    """manifest.files: exactly the two data files."""

    class Meta:
        unknown = RAISE

    sellers = fields.Nested(ManifestFileSchema, required=True)
    offers = fields.Nested(ManifestFileSchema, required=True)


class ManifestSchema(Schema):
    """manifest.json, schema version 1."""

    class Meta:
        unknown = RAISE

    schema_version = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Equal(SCHEMA_VERSION, error="must be {other}: this loader reads only it"),
    )
    snapshot_id = fields.String(
        required=True,
        validate=validate.Regexp(ID_PATTERN, error="must be 1-64 characters of A-Z a-z 0-9 . _ -"),
    )
    marketplace = fields.String(
        required=True,
        validate=validate.Regexp(_MARKETPLACE, error="must be two upper-case letters"),
    )
    as_of = fields.Date(required=True)
    files = fields.Nested(ManifestFilesSchema, required=True)

    @post_load
    def _build(self, data: dict[str, Any], **_: Any) -> Manifest:
        files = data["files"]
        return Manifest(
            data["snapshot_id"],
            data["marketplace"],
            data["as_of"],
            files["sellers"],
            files["offers"],
        )


_MANIFEST_SCHEMA: Final = ManifestSchema()


def read_manifest(directory: Path) -> Manifest:
    """The directory's manifest, its files present; else SnapshotRejected naming each problem.

    The manifest and the data files must be regular files of the directory, not symbolic
    links: a link can lead anywhere, and what a snapshot holds must be what it ships.
    """
    path = directory / MANIFEST_NAME
    if path.is_symlink():
        raise SnapshotRejected([f"{MANIFEST_NAME}: {_link(path)}"])
    try:
        raw = path.read_bytes()
        document = orjson.loads(raw)
        manifest: Manifest = _MANIFEST_SCHEMA.load(document)
    except FileNotFoundError:
        raise SnapshotRejected([f"{MANIFEST_NAME}: missing from {directory}"]) from None
    except orjson.JSONDecodeError as exc:
        raise SnapshotRejected([f"{MANIFEST_NAME}: invalid JSON: {exc}"]) from None
    except ValidationError as exc:
        problems = [f"{MANIFEST_NAME}: {problem}" for problem in flattened_problems(exc.messages)]
        raise SnapshotRejected(problems) from None
    problems = [f"{MANIFEST_NAME}: {key}: duplicate key" for key in repeated_keys(raw)]
    for kind, entry in (("sellers", manifest.sellers), ("offers", manifest.offers)):
        file, where = directory / entry.path, f"{MANIFEST_NAME}: files.{kind}.path: {entry.path}"
        if file.is_symlink():
            problems.append(f"{where} {_link(file)}")
        elif not file.is_file():
            problems.append(f"{where} is not in {directory}")
    if problems:
        raise SnapshotRejected(problems)
    return manifest


def _link(path: Path) -> str:
    return f"is a symbolic link (to {os.readlink(path)}), not a regular file"


def checksum_problems(directory: Path, manifest: Manifest) -> list[str]:
    """A problem for each listed file whose sha256 is not the manifest's, as 'file: problem'."""
    problems = []
    for entry in (manifest.sellers, manifest.offers):
        actual = file_sha256(directory / entry.path)
        if actual != entry.sha256:
            problems.append(f"{entry.path}: sha256 is {actual}, manifest says {entry.sha256}")
    return problems


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file's bytes as stored, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()
