"""The KME's HTTP application: ETSI GS QKD 014 V1.1.1 for SAEs, and KME-to-KME calls.

Endpoints (ETSI GS QKD 014 section 5):

- ``GET  /api/v1/keys/{slave_SAE_ID}/status``   Status (Table 5)
- ``POST /api/v1/keys/{slave_SAE_ID}/enc_keys`` Get key, body Key request (Table 8)
- ``GET  /api/v1/keys/{slave_SAE_ID}/enc_keys?number=&size=``
- ``POST /api/v1/keys/{master_SAE_ID}/dec_keys`` Get key with key IDs, body Key IDs (Table 12)
- ``GET  /api/v1/keys/{master_SAE_ID}/dec_keys?key_ID=``

Kvant KME-to-KME (KME client certificates only): ``POST /kme/v1/assign`` (the master KME tells
the slave KME which units form which key before it answers its SAE), ``POST /kme/v1/relay``
(one trusted-node relay hop) and ``POST /kme/v1/relay/commit`` (the relay's origin has stored
the key).

Who may call: the caller's identity is the verified TLS client certificate (see
:mod:`kvant.kms._tls`); SAE endpoints take only SAEs attached to this KME, KME endpoints only
configured peer KMEs. The server runs :func:`kme_asgi_app`: the same app behind a direct ASGI
path for ``POST enc_keys`` (the request every key costs), which calls the same function as the
route and answers the same way, without FastAPI's generic machinery.

Errors follow section 6.5 (``{"message", "details"}``): 400 for a bad request (including schema
violations, which FastAPI would answer 422), 401 for an unauthorised caller, 503 for a failure on
the KME side; never 500.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Body, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from kvant.errors import (
    ConfigError,
    KeyUnavailableError,
    KvantError,
    SaeAuthorizationError,
)
from kvant.kms._config import KmeConfig
from kvant.kms._models import (
    AssignNotice,
    ErrorBody,
    KeyContainer,
    KeyIDs,
    KeyRequest,
    RelayCommit,
    RelayCommitResult,
    RelayHop,
    RelayResult,
    Status,
)
from kvant.kms._peers import MAX_NOTICES, PeerClient
from kvant.kms._relay import commit_relay, handle_hop
from kvant.kms._service import EtsiError, KmeService
from kvant.kms._store import KeyStore, open_store

try:
    import orjson

    def _dumps(data: Any) -> bytes:
        return orjson.dumps(data)

except ImportError:  # pragma: no cover - orjson is optional

    def _dumps(data: Any) -> bytes:
        return json.dumps(data, separators=(",", ":")).encode()


__all__ = ["create_app", "kme_asgi_app", "openapi_document"]

API_TITLE = "Kvant KME: ETSI GS QKD 014 V1.1.1 key delivery"

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "Bad request format"},
    401: {"model": ErrorBody, "description": "Unauthorized"},
    503: {"model": ErrorBody, "description": "Error of server side"},
}


def _json(data: Any, status: int = 200) -> Response:
    return Response(_dumps(data), status_code=status, media_type="application/json")


def _error(status: int, message: str, details: list[dict[str, Any]] | None = None) -> Response:
    body: dict[str, Any] = {"message": message}
    if details:
        body["details"] = details
    return _json(body, status)


def _kind(exc: BaseException) -> str:
    return type(exc).__name__


def _error_parts(exc: Exception, path: str) -> tuple[int, str, list[dict[str, Any]] | None]:
    """Status, message and details of the ETSI error answer for ``exc`` (never a 500)."""
    if isinstance(exc, EtsiError):
        return exc.status, exc.message, exc.details
    if not isinstance(exc, KvantError):
        return 503, f"internal error of the KME ({_kind(exc)}); see the KME log", None
    details = [{"error": _kind(exc)}]
    if isinstance(exc, SaeAuthorizationError):
        return 401, str(exc), details
    if isinstance(exc, ConfigError):
        return 400, str(exc), details
    if isinstance(exc, KeyUnavailableError) and path.endswith("/dec_keys"):
        return 400, str(exc), details
    return 503, str(exc), details


MAX_REQUEST_ID = 128
"""Longest ``X-Request-ID`` taken; a longer one is refused (cutting it would make two different
ids one, and the second request would get the first one's keys again)."""


def _request_id(request: Request, scope: str) -> str | None:
    """The store's request id for the ``X-Request-ID`` header: ``scope/id``, where ``scope`` is
    the master SAE (enc_keys) or ``/dec/<slave SAE>`` (dec_keys), so no caller can reach
    another's receipts (SAE ids contain no ``/``)."""
    given = request.headers.get("x-request-id")
    if given and len(given) > MAX_REQUEST_ID:
        raise EtsiError(
            400, f"X-Request-ID is {len(given)} characters; use at most {MAX_REQUEST_ID}"
        )
    return f"{scope}/{given}" if given else None


async def _post_enc_keys(
    state: KmeService, request: Request, slave: str, body: KeyRequest | None
) -> dict[str, Any]:
    """``POST enc_keys`` (ETSI 014 section 5.2) for the FastAPI route and the hot path."""
    master = state.sae(request)
    req = body or KeyRequest()
    if req.additional_slave_SAE_IDs:
        raise EtsiError(400, "additional_slave_SAE_IDs are not supported (max_SAE_ID_count 0)")
    if req.extension_mandatory:
        names = sorted({k for ext in req.extension_mandatory for k in ext})
        raise EtsiError(
            400,
            "not all extension_mandatory parameters are supported",
            [{"extension_mandatory_unsupported": names}],
        )
    number, size = state.check_request(req.number, req.size)
    return await state.enc_keys(master, slave, number, size, _request_id(request, master))


_PREFIX, _SUFFIX = "/api/v1/keys/", "/enc_keys"
_MAX_BODY = 1 << 16
_JSON_HEADERS = [(b"content-type", b"application/json")]


class _EncKeysHotPath:
    """ASGI front: serves ``POST /api/v1/keys/{slave_SAE_ID}/enc_keys`` itself, the request
    every key costs, and hands everything else (and the lifespan) to FastAPI.

    It runs the same function as the FastAPI route (:func:`_post_enc_keys`) with the same error
    answers, skipping only FastAPI's generic routing, dependency and body machinery; the OpenAPI
    document still describes the route, and the conformance tests go through this path.
    """

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.state = app.state

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if (
            scope["method"] != "POST"
            or not path.startswith(_PREFIX)
            or not path.endswith(_SUFFIX)
            or "/" in path[len(_PREFIX) : -len(_SUFFIX)]
            or len(path) == len(_PREFIX) + len(_SUFFIX)
        ):
            await _limited(self.app, scope, receive, send)
            return
        status, payload = 200, b""
        try:
            body = await self._body(receive)
            request = Request(scope)
            req = None if body.strip() in (b"", b"null") else KeyRequest.model_validate_json(body)
            slave = path[len(_PREFIX) : -len(_SUFFIX)]  # the server decoded the path
            payload = _dumps(await _post_enc_keys(self.state.kme, request, slave, req))
        except ValidationError as exc:
            status = 400
            payload = _dumps({"message": _BAD_FORMAT, "details": _problems(exc.errors())})
        except Exception as exc:
            status, message, details = _error_parts(exc, path)
            payload = _dumps({"message": message, **({"details": details} if details else {})})
        headers = [*_JSON_HEADERS, (b"content-length", str(len(payload)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})

    @staticmethod
    async def _body(receive: Any) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise EtsiError(400, "the client disconnected before sending the whole body")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > _MAX_BODY:
                raise EtsiError(400, f"the request body exceeds {_MAX_BODY} bytes")
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


_BAD_FORMAT = "bad request format: the request does not follow ETSI GS QKD 014"

MAX_SAE_BODY = 1 << 20
"""Largest request body of the SAE API (a dec_keys body of 128 key_IDs is about 7 kB)."""
MAX_KME_BODY = 1 << 26
"""Largest KME-to-KME request body (a full batch of assignment notices)."""


async def _limited(app: Any, scope: Any, receive: Any, send: Any) -> None:
    """Run ``app`` with the request body capped (:data:`MAX_SAE_BODY`, or :data:`MAX_KME_BODY`
    under ``/kme/``): a larger one gets a 400 ETSI error before it is read into memory."""
    limit = MAX_KME_BODY if scope.get("path", "").startswith("/kme/") else MAX_SAE_BODY
    for name, value in scope.get("headers", ()):
        if name == b"content-length" and (not value.isdigit() or int(value) > limit):
            await _send_error(send, 400, f"the request body exceeds {limit} bytes")
            return
    seen = 0
    started = False

    async def capped() -> Any:
        nonlocal seen
        message = await receive()
        seen += len(message.get("body", b""))
        if seen > limit:  # a chunked body without Content-Length
            raise EtsiError(400, f"the request body exceeds {limit} bytes")
        return message

    async def watch(message: Any) -> None:
        nonlocal started
        started = started or message["type"] == "http.response.start"
        await send(message)

    try:
        await app(scope, capped, watch)
    except EtsiError as exc:
        if started:  # pragma: no cover - the body is read before any answer
            raise
        await _send_error(send, exc.status, exc.message)


async def _send_error(send: Any, status: int, message: str) -> None:
    payload = _dumps({"message": message})
    headers = [*_JSON_HEADERS, (b"content-length", str(len(payload)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


def _problems(errors: Any) -> list[dict[str, Any]]:
    return [
        {"loc": ".".join(str(p) for p in e.get("loc", ())), "problem": str(e.get("msg"))}
        for e in list(errors)[:10]
    ]


def create_app(
    config: KmeConfig, store: KeyStore | None = None, *, kek: bytes | None = None
) -> FastAPI:
    """Build the KME application for ``config``.

    Args:
        config: The KME configuration.
        store: An open store to use; by default the app opens ``config.store_url`` at startup
            (with ``kek`` or the KEK from the configuration) and closes it at shutdown.
        kek: The key-encryption key, if ``store`` is not given and the config has no source.

    Returns:
        The FastAPI application (serve it with :func:`kvant.kms.serve`).

    >>> from pathlib import Path
    >>> from kvant.kms import KmeConfig, TlsConfig
    >>> app = create_app(KmeConfig("kme-a", TlsConfig(Path("a.pem"), Path("a.key"),
    ...     Path("ca.pem")), "a.db"))
    >>> sorted(p for p in app.openapi()["paths"] if "enc_keys" in p)
    ['/api/v1/keys/{slave_SAE_ID}/enc_keys']
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = store is None
        opened = store or open_store(
            config.store_url,
            config.kme_id,
            kek if kek is not None else config.load_kek(),
            config.unit_size_bits,
        )
        peers = PeerClient(config)
        app.state.kme = KmeService(config, opened, peers)
        try:
            yield
        finally:
            await peers.aclose()
            if own:
                opened.close()

    app = FastAPI(
        title=API_TITLE,
        version="1.1.1",
        description=(
            "Key delivery to Secure Application Entities (SAEs) as in ETSI GS QKD 014 V1.1.1 "
            "(2019-02), over mutual TLS: the SAE identity is its client certificate's CN. "
            "Also the Kvant KME-to-KME calls (key assignment notice, trusted-node relay)."
        ),
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )

    def kme(request: Request) -> KmeService:
        state: KmeService = request.app.state.kme
        return state

    @app.exception_handler(EtsiError)
    async def _etsi(request: Request, exc: EtsiError) -> Response:
        return _error(exc.status, exc.message, exc.details)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        return _error(400, _BAD_FORMAT, _problems(exc.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        return _error(exc.status_code, str(exc.detail))

    @app.exception_handler(KvantError)
    async def _kvant(request: Request, exc: KvantError) -> Response:
        return _error(*_error_parts(exc, request.url.path))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        return _error(*_error_parts(exc, request.url.path))

    keys = "/api/v1/keys"

    @app.get(
        keys + "/{slave_SAE_ID}/status",
        response_model=Status,
        responses=_ERRORS,
        summary="Get status",
        tags=["ETSI GS QKD 014"],
    )
    async def get_status(slave_SAE_ID: str, request: Request) -> Response:
        """Status of the key shared with the slave SAE's KME (ETSI 014 section 5.1)."""
        state = kme(request)
        master = state.sae(request)
        return _json(await run_in_threadpool(state.status, master, slave_SAE_ID))

    @app.post(
        keys + "/{slave_SAE_ID}/enc_keys",
        response_model=KeyContainer,
        responses=_ERRORS,
        summary="Get key",
        tags=["ETSI GS QKD 014"],
    )
    async def post_enc_keys(
        slave_SAE_ID: str, request: Request, body: Annotated[KeyRequest | None, Body()] = None
    ) -> Response:
        """New keys for the master SAE, shared with ``slave_SAE_ID`` (section 5.2).

        An ``X-Request-ID`` header makes the call idempotent: a retry with the same id returns
        the same keys, never new ones.
        """
        return _json(await _post_enc_keys(kme(request), request, slave_SAE_ID, body))

    @app.get(
        keys + "/{slave_SAE_ID}/enc_keys",
        response_model=KeyContainer,
        responses=_ERRORS,
        summary="Get key (GET form)",
        tags=["ETSI GS QKD 014"],
    )
    async def get_enc_keys(
        slave_SAE_ID: str,
        request: Request,
        number: Annotated[int | None, Query()] = None,
        size: Annotated[int | None, Query()] = None,
    ) -> Response:
        """As ``POST enc_keys`` with ``number`` and ``size`` in the query (section 5.2)."""
        state = kme(request)
        master = state.sae(request)
        n, s = state.check_request(number, size)
        rid = _request_id(request, master)
        return _json(await state.enc_keys(master, slave_SAE_ID, n, s, rid))

    @app.post(
        keys + "/{master_SAE_ID}/dec_keys",
        response_model=KeyContainer,
        responses=_ERRORS,
        summary="Get key with key IDs",
        tags=["ETSI GS QKD 014"],
    )
    async def post_dec_keys(master_SAE_ID: str, request: Request, body: KeyIDs) -> Response:
        """The keys named by key_ID, for the slave SAE (section 5.3)."""
        # X-Request-ID makes it idempotent like enc_keys (docs/kms.md); the docstring is the
        # OpenAPI description, kept as committed in docs/kms-openapi.json
        state = kme(request)
        slave = state.sae(request)
        ids = [k.key_ID for k in body.key_IDs]
        rid = _request_id(request, f"/dec/{slave}")
        return _json(await state.dec_keys(slave, master_SAE_ID, ids, rid))

    @app.get(
        keys + "/{master_SAE_ID}/dec_keys",
        response_model=KeyContainer,
        responses=_ERRORS,
        summary="Get key with key IDs (GET form)",
        tags=["ETSI GS QKD 014"],
    )
    async def get_dec_keys(
        master_SAE_ID: str, request: Request, key_ID: Annotated[list[str], Query()]
    ) -> Response:
        """As ``POST dec_keys`` with ``key_ID`` in the query (section 5.3)."""
        state = kme(request)
        slave = state.sae(request)
        rid = _request_id(request, f"/dec/{slave}")
        return _json(await state.dec_keys(slave, master_SAE_ID, key_ID, rid))

    @app.post(
        "/kme/v1/assign",
        responses=_ERRORS,
        summary="Key assignment notice (KME to KME)",
        tags=["Kvant KME-to-KME"],
    )
    async def post_assign(
        request: Request,
        notices: Annotated[list[AssignNotice], Body(embed=True, max_length=MAX_NOTICES)],
    ) -> Response:
        """The master KME tells this (slave) KME which units form which keys."""
        state = kme(request)
        caller = state.kme(request)
        results = await run_in_threadpool(state.assign, caller, notices)
        return _json({"results": results})

    @app.post(
        "/kme/v1/relay",
        response_model=RelayResult,
        responses=_ERRORS,
        summary="Trusted-node relay hop (KME to KME)",
        tags=["Kvant KME-to-KME"],
    )
    async def post_relay(request: Request, hop: RelayHop) -> Response:
        """One hop of a trusted-node key relay (see :mod:`kvant.kms._relay`)."""
        state = kme(request)
        caller = state.kme(request)
        result = await handle_hop(state.config, state.store, state.peers, caller, hop.model_dump())
        return _json(result)

    @app.post(
        "/kme/v1/relay/commit",
        response_model=RelayCommitResult,
        responses=_ERRORS,
        summary="Relay commit (KME to KME)",
        tags=["Kvant KME-to-KME"],
    )
    async def post_relay_commit(request: Request, commit: RelayCommit) -> Response:
        """The origin of a relay has stored the relayed key: the pending units join the pool
        (see :mod:`kvant.kms._relay`)."""
        state = kme(request)
        caller = state.kme(request)
        return _json(await commit_relay(state.config, state.store, caller, commit.model_dump()))

    return app


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document every KME serves at ``/openapi.json`` (independent of config).

    The repository keeps a copy in ``docs/kms-openapi.json``; a test checks that a running KME
    serves exactly that document.

    >>> doc = openapi_document()
    >>> doc["info"]["version"], "/api/v1/keys/{master_SAE_ID}/dec_keys" in doc["paths"]
    ('1.1.1', True)
    """
    from pathlib import Path

    from kvant.kms._config import TlsConfig

    tls = TlsConfig(Path("kme.pem"), Path("kme.key"), Path("ca.pem"))
    doc: dict[str, Any] = create_app(KmeConfig("kme", tls, "kme.db")).openapi()
    return doc


def kme_asgi_app(config: KmeConfig) -> Any:
    """What the server runs: :func:`create_app` behind the ``enc_keys`` hot path.

    >>> from pathlib import Path
    >>> from kvant.kms import KmeConfig, TlsConfig
    >>> tls = TlsConfig(Path("a.pem"), Path("a.key"), Path("ca.pem"))
    >>> type(kme_asgi_app(KmeConfig("kme-a", tls, "a.db"))).__name__
    '_EncKeysHotPath'
    """
    return _EncKeysHotPath(create_app(config))
