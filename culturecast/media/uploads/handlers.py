"""tus 1.0 HTTP handlers at ``/api/v1/uploads`` (thin: parse headers, call the service,
answer with tus headers). PATCH bodies are streamed from ``request.content`` chunk by chunk;
the JSON body cap of the app does not apply to them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

from aiohttp import web

from culturecast.core.access import Action, is_platform_admin
from culturecast.core.errors import BadRequest, UnsupportedMediaType
from culturecast.core.kit import Kit
from culturecast.core.routes import Route, add_routes
from culturecast.media.uploads import tus
from culturecast.media.uploads.service import UploadService, UploadView, view

READ_CHUNK = 256 * 1024


class UploadHandlers:
    """The tus endpoints, bound to one service."""

    def __init__(self, kit: Kit, service: Callable[[], UploadService]) -> None:
        # The service is built when the app starts (cleanup context), after routes exist.
        self._kit = kit
        self._get_service = service

    @property
    def _service(self) -> UploadService:
        return self._get_service()

    def _version(self, request: web.Request) -> web.Response | None:
        try:
            tus.check_version(request.headers)
        except tus.TusError as exc:
            # § Tus-Resumable: 412 naming the versions we speak.
            return self._kit.json(
                {"error": {"code": "tus_version", "message": str(exc)}},
                status=412,
                headers={"Tus-Version": tus.TUS_VERSION},
            )
        return None

    def _headers(self, upload: UploadView) -> dict[str, str]:
        headers = {
            "Tus-Resumable": tus.TUS_VERSION,
            "Upload-Offset": str(upload.offset),
            "Cache-Control": "no-store",
        }
        if not upload.finished:
            headers["Upload-Expires"] = tus.format_expires(upload.expires_at)
        return headers

    async def options(self, request: web.Request) -> web.Response:
        return web.Response(status=204, headers=tus.options_headers(self._service.max_size))

    async def create(self, request: web.Request) -> web.Response:
        if (refused := self._version(request)) is not None:
            return refused
        caller = await self._kit.caller(request)
        try:
            if request.headers.get("Upload-Defer-Length"):
                raise tus.TusError("Upload-Defer-Length is not supported; send Upload-Length")
            length = tus.parse_non_negative("Upload-Length", request.headers.get("Upload-Length"))
            metadata = tus.parse_metadata(request.headers.get("Upload-Metadata"))
        except tus.TusError as exc:
            raise BadRequest(str(exc), code="bad_tus_header") from exc
        org_id = metadata.get("org_id") or caller.org_id
        if not org_id:
            code = "org_required" if is_platform_admin(caller) else "forbidden"
            raise BadRequest(
                "name the organization the upload is for in Upload-Metadata (org_id)", code=code
            )
        org_path = await self._kit.org_path(caller, org_id, Action.MANAGE_CONTENT)
        upload = await self._service.create(caller, org_path, length, metadata)
        headers = self._headers(upload)
        headers["Location"] = f"/api/v1/uploads/{upload.upload_id}"
        return web.Response(status=201, headers=headers)

    async def head(self, request: web.Request) -> web.Response:
        if (refused := self._version(request)) is not None:
            return refused
        caller = await self._kit.caller(request)
        doc = await self._service.get(caller, request.match_info["upload_id"])
        upload = view(doc)
        headers = self._headers(upload)
        headers["Upload-Length"] = str(upload.length)
        if upload.metadata:
            headers["Upload-Metadata"] = tus.format_metadata(upload.metadata)
        return web.Response(status=200, headers=headers)

    async def patch(self, request: web.Request) -> web.Response:
        if (refused := self._version(request)) is not None:
            return refused
        caller = await self._kit.caller(request)
        if request.content_type != tus.OFFSET_CONTENT_TYPE:
            raise UnsupportedMediaType(
                f"send PATCH bodies as {tus.OFFSET_CONTENT_TYPE} "
                f"(got {request.content_type or 'nothing'})",
                code="bad_content_type",
            )
        try:
            offset = tus.parse_non_negative("Upload-Offset", request.headers.get("Upload-Offset"))
        except tus.TusError as exc:
            raise BadRequest(str(exc), code="bad_tus_header") from exc
        upload = await self._service.append(
            caller,
            request.match_info["upload_id"],
            offset,
            _body(request),
        )
        return web.Response(status=204, headers=self._headers(upload))

    async def delete(self, request: web.Request) -> web.Response:
        if (refused := self._version(request)) is not None:
            return refused
        caller = await self._kit.caller(request)
        await self._service.terminate(caller, request.match_info["upload_id"])
        return web.Response(status=204, headers={"Tus-Resumable": tus.TUS_VERSION})

    def setup(self) -> None:
        path = "/api/v1/uploads/{upload_id}"
        add_routes(self._kit, "uploads", [
            Route("OPTIONS", "/api/v1/uploads", self.options,
                  "tus 1.0: supported version, extensions and maximum size",
                  status=204, auth=False),
            Route("POST", "/api/v1/uploads", self.create,
                  "tus creation: Upload-Length and Upload-Metadata (filename, filetype, "
                  "org_id); answers 201 with Location", status=201),
            Route("HEAD", path, self.head, "tus: the upload's Upload-Offset and Upload-Length"),
            Route("PATCH", path, self.patch,
                  "tus: append application/offset+octet-stream at Upload-Offset "
                  "(409 on a mismatch)", status=204),
            Route("DELETE", path, self.delete, "tus termination: remove the upload", status=204),
        ])  # fmt: skip


async def _body(request: web.Request) -> AsyncIterator[bytes]:
    """The PATCH body in chunks. aiohttp reports a client that hung up mid-body by raising
    CancelledError from the read (not by cancelling the handler); that is turned into a
    ConnectionResetError so the service keeps what arrived. A real cancellation (shutdown)
    still propagates."""
    chunks = request.content.iter_chunked(READ_CHUNK)
    while True:
        try:
            chunk = await anext(chunks)
        except StopAsyncIteration:
            return
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise
            raise ConnectionResetError("the client hung up before the body ended") from None
        yield chunk
