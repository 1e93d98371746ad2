"""Blob stores for ciphertext: the default writes files under the data dir; S3 for scale.

Blobs are always ciphertext sealed by the vault; the store never sees plaintext.
Writes are atomic (temp file + rename) so a crash never leaves a half-written blob.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol, runtime_checkable

from ecoute import plugins
from ecoute.config import ConfigError, Settings
from ecoute.plugins import Family

_SAFE_KEY = re.compile(r"^[a-z0-9][a-z0-9/_.-]{0,199}$")


@runtime_checkable
class BlobStore(Protocol):
    def put(self, key: str, data: bytes) -> None: ...
    def get(self, key: str) -> bytes: ...
    def delete(self, key: str) -> None: ...
    def exists(self, key: str) -> bool: ...
    def keys(self, prefix: str = "") -> Iterator[str]: ...


def check_key(key: str) -> str:
    if not _SAFE_KEY.match(key) or ".." in key:
        raise ValueError(f"invalid blob key {key!r}")
    return key


class LocalBlobStore:
    def __init__(self, root: Path):
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise KeyError(key) from None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).exists()

    def keys(self, prefix: str = "") -> Iterator[str]:
        for path in sorted(self.root.rglob("*")):
            if path.is_file() and not path.name.startswith(".tmp-"):
                key = path.relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    yield key


class S3BlobStore:
    """S3-compatible object store (SeaweedFS in tests, any S3 in production)."""

    def __init__(self, bucket: str, client) -> None:
        self.bucket = bucket
        self.client = client

    def put(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=check_key(key), Body=data)

    def get(self, key: str) -> bytes:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=check_key(key))["Body"].read()
        except self.client.exceptions.NoSuchKey:
            raise KeyError(key) from None

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=check_key(key))

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=check_key(key))
            return True
        except Exception:
            return False

    def keys(self, prefix: str = "") -> Iterator[str]:
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                yield obj["Key"]


@plugins.declare(plugins.ANY_LANGUAGE)
def local(settings: Settings) -> BlobStore:
    return LocalBlobStore(settings.store.data_dir / "blobs")


@plugins.declare(plugins.ANY_LANGUAGE)
def s3(settings: Settings) -> BlobStore:
    import boto3  # production engine only
    from botocore.config import Config

    cfg = settings.store
    if not cfg.s3_endpoint:
        raise ConfigError("ECOUTE_S3_ENDPOINT is not set: the s3 blob store needs the endpoint URL")
    credentials = {}
    if cfg.s3_access_key_id:  # else boto3 finds its own (AWS_* variables, profiles)
        credentials = {"aws_access_key_id": cfg.s3_access_key_id,
                       "aws_secret_access_key": cfg.s3_secret_access_key.get_secret_value()}
    client = boto3.client(
        "s3",
        endpoint_url=cfg.s3_endpoint,
        config=Config(
            signature_version="s3v4",
            s3={"addressing_style": "path"},
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        ),
        **credentials,
    )
    return S3BlobStore(cfg.s3_bucket, client)


def get_blob_store(settings: Settings) -> BlobStore:
    store = plugins.create(Family.BLOBS, settings)
    if not isinstance(store, BlobStore):
        raise plugins.wrong_engine(Family.BLOBS, store, BlobStore)
    return store
