"""Pure-ASGI middleware: request body limit and security headers (cheap on every request)."""

from __future__ import annotations

import asyncio

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from chainrule.config import env_name


class BodyLimit:
    """Read a request's whole body before the app sees it: at most ``max_bytes`` (else 413)
    and within ``timeout`` seconds (else 408), both with the contract's error object.

    A declared Content-Length over the limit is refused up front; otherwise the body is read
    up to the limit and then replayed to the app. Reading it here, first, means a client
    that sends half a body and waits holds no compute slot (``chainrule/workload.py`` admits
    a request after this) and holds its connection for ``timeout`` seconds at most.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, timeout: float = 10.0) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or ()).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._reject(send)
            return
        try:
            async with asyncio.timeout(self.timeout):
                messages = await self._read(receive)
        except TimeoutError:
            await self._too_slow(send)
            return
        if messages is None:
            await self._reject(send)
            return
        await self.app(scope, _replay(messages, receive), send)

    async def _read(self, receive: Receive) -> list[Message] | None:
        """The body as one message (or the disconnect that cut it short); None: too large."""
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return [message]
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.max_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return [{"type": "http.request", "body": b"".join(chunks), "more_body": False}]

    async def _reject(self, send: Send) -> None:
        await send_error(send, 413, {
            "code": "limit_exceeded",
            "message": f"the request body exceeds the limit of {self.max_bytes} bytes "
                       f"(set {env_name('max_body_bytes')})",
            "params": {"limit": env_name("max_body_bytes"), "value": self.max_bytes,
                       "what": "request bytes"}})

    async def _too_slow(self, send: Send) -> None:
        env = env_name("body_timeout_seconds")
        await send_error(send, 408, {
            "code": "limit_exceeded",
            "message": f"the request body did not arrive within {self.timeout:g} s (set {env})",
            "params": {"limit": env, "value": self.timeout, "what": "seconds to send the body"}},
            [(b"connection", b"close")])


async def send_error(send: Send, status: int, error: dict[str, object],
                     headers: list[tuple[bytes, bytes]] | None = None) -> None:
    """A complete response carrying the contract's error object."""
    body = orjson.dumps({"error": error})
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()), *(headers or [])]})
    await send({"type": "http.response.body", "body": body})


def _replay(messages: list[Message], then: Receive | None = None) -> Receive:
    """A receive callable that yields ``messages`` first, then defers to ``then``."""
    pending = list(messages)

    async def receive() -> Message:
        if pending:
            return pending.pop(0)
        if then is not None:
            return await then()
        return {"type": "http.disconnect"}

    return receive


class SecurityHeaders:
    """Add the CSP and the other hardening headers to every HTTP response.

    ``policies`` maps a path prefix to its own Content-Security-Policy (the embeddable view
    may be framed by others, the docs run their own scripts); other paths get ``csp``.
    """

    def __init__(self, app: ASGIApp, headers: dict[str, str], csp: str,
                 policies: dict[str, str] | None = None) -> None:
        self.app = app
        self.headers = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        self.csp = csp.encode()
        self.policies = [(prefix, policy.encode()) for prefix, policy in (policies or {}).items()]

    def policy_for(self, path: str) -> bytes:
        for prefix, policy in self.policies:
            if path == prefix or path.startswith(prefix.rstrip("/") + "/"):
                return policy
        return self.csp

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        ours = [*self.headers, (b"content-security-policy", self.policy_for(scope["path"]))]

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in ours if k not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, with_headers)


def content_security_policy(frame_ancestors: str = "'self'", scripts: str = "'self'") -> str:
    return "; ".join([
        "default-src 'self'",
        f"script-src {scripts}",
        # KaTeX and D3 set element styles; styles cannot run code.
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        f"frame-ancestors {frame_ancestors}",
    ])


class TrustedHosts:
    """Refuse requests whose Host header is not one of ``hosts`` (400 ``bad_host``), so no
    page or oEmbed answer is built from a forged Host. ``/api/health`` is exempt: probes
    address a worker by its own IP."""

    EXEMPT = ("/api/health",)

    def __init__(self, app: ASGIApp, hosts: list[str]) -> None:
        self.app = app
        self.hosts = {h.lower() for h in hosts}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.EXEMPT:
            await self.app(scope, receive, send)
            return
        host = dict(scope.get("headers") or ()).get(b"host", b"").decode("latin-1").lower()
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        if host in self.hosts or name in self.hosts:
            await self.app(scope, receive, send)
            return
        body = orjson.dumps({"error": {
            "code": "bad_host",
            "message": f"this server does not answer for the host {host[:100]!r} "
                       "(set CHAINRULE_ALLOWED_HOSTS)",
            "params": {"host": host[:100], "limit": "CHAINRULE_ALLOWED_HOSTS"}}})
        await send({"type": "http.response.start", "status": 400,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
