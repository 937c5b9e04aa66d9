"""The ``s3`` blob backend: each message's WAV as one object in an S3-compatible bucket
(``[voicemail.s3]``; AWS S3, MinIO, Ceph RGW …), so every replica serves every message.

* :meth:`S3BlobStore.put` uploads the staged recording (one PutObject, which S3 makes visible
  whole or not at all) inside the row's transaction, before it commits: a listed message
  always has its audio. If that transaction ends without a commit, the object is deleted
  again; a crash in between leaves an object no row names, which is never listed (recovery's
  :meth:`~S3BlobStore.keys` sees it).
* Deleting: the objects go after the rows' transaction committed (:meth:`after_delete`, one
  DeleteObjects per 1,000), like the local folder's files.

Object key: ``<prefix><row path>`` (``voicemail/messages/<mailbox>/<id>.wav``). Needs the
``s3`` extra (aiobotocore); one client per operation keeps no connection to close.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, BinaryIO

from sqlalchemy import event

from tas.voicemail.blobs import BlobRef, bytes_file

if TYPE_CHECKING:
    from sqlalchemy.orm import SessionTransaction
    from sqlmodel.ext.asyncio.session import AsyncSession

    from tas.config import S3Settings

__all__ = ["S3BlobStore"]

DELETE_BATCH = 1000  # the most keys one DeleteObjects request takes


class S3BlobStore:
    """Audio objects keyed by the row's path under ``settings.prefix``."""

    name = "s3"

    def __init__(self, settings: S3Settings) -> None:
        try:
            from aiobotocore.session import get_session
        except ImportError as exc:  # the optional extra is missing
            raise RuntimeError(
                'storage = "s3" needs aiobotocore: pip install "tas-companion[s3]"'
            ) from exc
        self.settings = settings
        self._session = get_session()
        self._cleanups: set[asyncio.Task[None]] = set()

    def key_of(self, ref: BlobRef) -> str:
        return f"{self.settings.prefix}{ref.path}"

    @asynccontextmanager
    async def _client(self) -> AsyncIterator[Any]:
        s = self.settings
        secret = s.secret_access_key.get_secret_value() if s.secret_access_key else None
        async with self._session.create_client(
            "s3",
            region_name=s.region,
            endpoint_url=s.endpoint_url,
            aws_access_key_id=s.access_key_id,
            aws_secret_access_key=secret,
        ) as client:
            yield client

    async def put(self, ref: BlobRef, source: Path, session: AsyncSession) -> None:
        data = await asyncio.to_thread(source.read_bytes)
        async with self._client() as client:
            await client.put_object(
                Bucket=self.settings.bucket,
                Key=self.key_of(ref),
                Body=data,
                ContentType="audio/wav",
            )
        # The row was flushed first (its id is ours alone), but its transaction may still end
        # without a commit (a failure, the session closed): then the object goes too.
        _on_transaction_end(session, lambda: self._forget([self.key_of(ref)]))

    def _forget(self, keys: Sequence[str]) -> None:
        task = asyncio.get_running_loop().create_task(self._delete_keys(keys))
        self._cleanups.add(task)
        task.add_done_callback(self._cleanups.discard)

    async def get(self, ref: BlobRef) -> bytes:
        async with self._client() as client:
            try:
                reply = await client.get_object(Bucket=self.settings.bucket, Key=self.key_of(ref))
            except client.exceptions.NoSuchKey as exc:
                raise FileNotFoundError(
                    f"no audio for voicemail {ref.voicemail_id} in bucket {self.settings.bucket}"
                ) from exc
            async with reply["Body"] as body:
                return bytes(await body.read())

    async def open(self, ref: BlobRef) -> BinaryIO:
        return bytes_file(await self.get(ref))

    async def delete(self, refs: Sequence[BlobRef], session: AsyncSession) -> None:
        return None  # objects go after the rows commit: a crash between leaves an orphan

    async def after_delete(self, refs: Sequence[BlobRef]) -> None:
        await self._delete_keys([self.key_of(ref) for ref in refs])

    async def _delete_keys(self, keys: Sequence[str]) -> None:
        async with self._client() as client:
            for start in range(0, len(keys), DELETE_BATCH):
                batch = [{"Key": key} for key in keys[start : start + DELETE_BATCH]]
                await client.delete_objects(
                    Bucket=self.settings.bucket, Delete={"Objects": batch, "Quiet": True}
                )

    async def exists(self, ref: BlobRef) -> bool:
        async with self._client() as client:
            try:
                await client.head_object(Bucket=self.settings.bucket, Key=self.key_of(ref))
            except client.exceptions.ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                    return False
                raise
            return True

    async def keys(self) -> set[str]:
        found: set[str] = set()
        prefix = f"{self.settings.prefix}messages/"
        async with self._client() as client:
            pages = client.get_paginator("list_objects_v2").paginate(
                Bucket=self.settings.bucket, Prefix=prefix
            )
            async for page in pages:
                for item in page.get("Contents", ()):
                    path = PurePosixPath(item["Key"])
                    if path.suffix == ".wav":
                        found.add(path.stem)
        return found


def _on_transaction_end(session: AsyncSession, not_committed: Callable[[], None]) -> None:
    """Call ``not_committed`` when the session's current top-level transaction ends without a
    commit (rollback, or the session closed). The listeners stay with the session (one per
    store operation) but act once: SQLAlchemy forbids removing them while they run."""
    sync = session.sync_session
    state = {"committed": False, "ended": False}

    def on_commit(_: object) -> None:
        state["committed"] = True

    def on_end(_: object, transaction: SessionTransaction) -> None:
        if transaction.parent is not None or state["ended"]:
            return
        state["ended"] = True
        if not state["committed"]:
            not_committed()

    event.listen(sync, "after_commit", on_commit)
    event.listen(sync, "after_transaction_end", on_end)
