"""The server's public address for links it hands out (oEmbed, its discovery link).

Behind a proxy or with a forged ``Host`` header, the request's own URL is not to be trusted:
``CHAINRULE_PUBLIC_URL`` (e.g. ``https://chainrule.example.edu/course``) names the address
the world uses, and when it is set only its host is accepted (``CHAINRULE_ALLOWED_HOSTS``
widens or narrows that; ``*`` accepts any).
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from starlette.requests import Request

PUBLIC_URL_ENV = "CHAINRULE_PUBLIC_URL"
ALLOWED_HOSTS_ENV = "CHAINRULE_ALLOWED_HOSTS"


def configured_public_url() -> str | None:
    """``CHAINRULE_PUBLIC_URL`` without a trailing slash, or None; a malformed one stops start-up."""
    raw = os.environ.get(PUBLIC_URL_ENV, "").strip()
    if not raw:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise RuntimeError(f"{PUBLIC_URL_ENV} must be an http(s) URL such as "
                           f"https://chainrule.example.edu, got {raw!r}")
    return raw.rstrip("/")


def allowed_hosts(public_url: str | None) -> list[str] | None:
    """The hosts to accept (None: any): ``CHAINRULE_ALLOWED_HOSTS``, else the public URL's host."""
    raw = os.environ.get(ALLOWED_HOSTS_ENV, "").strip()
    if raw:
        hosts = [h.strip() for h in raw.split(",") if h.strip()]
        return None if "*" in hosts else hosts
    if public_url is None:
        return None
    parts = urlsplit(public_url)
    return [parts.netloc.lower(), (parts.hostname or "").lower()]


def public_base(request: Request) -> str:
    """``scheme://host[:port]/root/`` as the world sees this server: ``CHAINRULE_PUBLIC_URL``,
    else the address the server listens on. Never the request's ``Host`` header, which the
    client writes (a forged one would otherwise go into the links handed out)."""
    configured = getattr(request.app.state, "public_url", None)
    if configured:
        return f"{configured}/"
    scheme = request.scope.get("scheme", "http")
    host, port = request.scope.get("server") or ("localhost", None)
    if ":" in str(host):  # an IPv6 address
        host = f"[{host}]"
    default = {"http": 80, "https": 443}.get(scheme)
    netloc = f"{host}" if port in (None, default) else f"{host}:{port}"
    return f"{scheme}://{netloc}{request.scope.get('root_path', '')}/"


def public_url_of(request: Request) -> str:
    """The request's URL on the public address (same path below the root, same query)."""
    root = request.scope.get("root_path", "")
    path = request.url.path[len(root):] if root and request.url.path.startswith(root) else request.url.path
    url = public_base(request).rstrip("/") + path
    return f"{url}?{request.url.query}" if request.url.query else url
