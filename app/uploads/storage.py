"""Where upload bytes live: a folder on this host, or an S3-compatible bucket.

The rest of the feature sees only :class:`Storage`. Keys are made by
:func:`new_key` (hex only), so no client-supplied text ever reaches a path or an
object name. ``UPLOAD_STORAGE=local`` (default) keeps files under
``instance/uploads/``; ``UPLOAD_STORAGE=s3`` uses ``S3_BUCKET`` at ``S3_ENDPOINT_URL``
(empty for AWS itself) in ``S3_REGION``, with credentials found by boto3 the usual way
(``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, a profile, or an instance role).
"""

from __future__ import annotations

import os
import re
import secrets
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from flask import Flask, current_app

EXTENSION_KEY = "guildhall_upload_storage"
_KEY = re.compile(r"^[0-9a-f]{32}$")


def new_key() -> str:
    """A fresh, unguessable storage key."""
    return secrets.token_hex(16)


def _check_key(key: str) -> str:
    if not _KEY.match(key or ""):
        raise ValueError(f"not a storage key: {key!r}")
    return key


class StoredFile(Protocol):
    key: str
    modified_at: datetime


class Storage(Protocol):
    """What the uploads feature needs from a place that keeps bytes."""

    def save(self, key: str, data: bytes, content_type: str) -> None:
        """Store ``data`` under ``key`` (a new key: never overwrites a used one)."""

    def read(self, key: str) -> bytes:
        """The bytes under ``key``; ``FileNotFoundError`` when there are none."""

    def delete(self, key: str) -> None:
        """Remove ``key``; no error when it is already gone."""

    def list(self) -> Iterator[tuple[str, datetime]]:
        """Every stored key with its last-modified time (naive UTC), for cleanup."""


class LocalStorage:
    """Files under one folder, two hex characters of fan-out (``ab/abcdef…``)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        key = _check_key(key)
        return self.root / key[:2] / key

    def save(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written beside and renamed, so a reader never sees half a file.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def read(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def list(self) -> Iterator[tuple[str, datetime]]:
        if not self.root.is_dir():
            return
        for path in self.root.glob("??/*"):
            if _KEY.match(path.name) and path.is_file():
                modified = datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(tzinfo=None)
                yield path.name, modified


class S3Storage:
    """Objects in an S3-compatible bucket (AWS S3, MinIO, Ceph, R2, …) under a prefix."""

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        prefix: str = "uploads/",
        client: object | None = None,
    ) -> None:
        if client is None:
            # Optional dependency: only with S3-compatible storage.
            import boto3

            client = boto3.client("s3", endpoint_url=endpoint_url or None, region_name=region or None)
        self.client = client
        self.bucket = bucket
        self.prefix = prefix

    def save(self, key: str, data: bytes, content_type: str) -> None:
        self.client.put_object(
            Bucket=self.bucket, Key=self.prefix + _check_key(key), Body=data, ContentType=content_type
        )

    def read(self, key: str) -> bytes:
        try:
            reply = self.client.get_object(Bucket=self.bucket, Key=self.prefix + _check_key(key))
        except self.client.exceptions.NoSuchKey as error:
            raise FileNotFoundError(key) from error
        return reply["Body"].read()

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.prefix + _check_key(key))

    def list(self) -> Iterator[tuple[str, datetime]]:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix):
            for item in page.get("Contents", []):
                name = item["Key"][len(self.prefix) :]
                if _KEY.match(name):
                    yield name, item["LastModified"].astimezone(UTC).replace(tzinfo=None)


def build_storage(app: Flask) -> Storage:
    """The backend ``UPLOAD_STORAGE`` names; a misconfiguration fails at start-up."""
    kind = (app.config.get("UPLOAD_STORAGE") or "local").lower()
    if kind == "local":
        root = app.config.get("UPLOAD_FOLDER") or str(Path(app.instance_path) / "uploads")
        return LocalStorage(root)
    if kind == "s3":
        bucket = app.config.get("S3_BUCKET")
        if not bucket:
            raise RuntimeError("UPLOAD_STORAGE=s3 needs S3_BUCKET (and S3_ENDPOINT_URL for non-AWS stores).")
        return S3Storage(
            bucket,
            endpoint_url=app.config.get("S3_ENDPOINT_URL"),
            region=app.config.get("S3_REGION"),
            prefix=app.config.get("S3_PREFIX", "uploads/"),
        )
    raise RuntimeError(f"UPLOAD_STORAGE must be 'local' or 's3', not {kind!r}.")


def storage() -> Storage:
    """The current app's backend, built once per app."""
    backend = current_app.extensions.get(EXTENSION_KEY)
    if backend is None:
        backend = current_app.extensions.setdefault(EXTENSION_KEY, build_storage(current_app))
    return backend
