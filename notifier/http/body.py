"""Request bodies read with a size limit, for every endpoint that takes one."""

from __future__ import annotations

from fastapi import HTTPException, Request


async def read_limited(request: Request, limit: int, what: str) -> bytes:
    """The body, refused with 413 (naming `what` and the limit) as soon as it grows past
    `limit` bytes: never read whole."""
    reason = f"{what} is over {limit // 2**20} MiB"
    too_large = HTTPException(status_code=413, detail=[{"field": "(body)", "reason": reason}])
    if int(request.headers.get("content-length") or 0) > limit:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)
