"""GET /oembed: oEmbed 1.0 (https://oembed.com) for links to this server's app or embed view.

Course platforms that speak oEmbed turn a pasted chainrule link into an ``<iframe>`` of
``/embed`` with the same query (the page state lives in the query). Nothing is fetched: the
URL is only parsed and must point at this server's origin.
"""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Query, Request

from chainrule.errors import ChainruleError
from chainrule.public_url import public_base
from chainrule.schemas import ErrorResponse, OEmbedResponse

router = APIRouter(tags=["share"])

#: The iframe's size when the consumer sets no maximum (the embed view fits its container).
DEFAULT_WIDTH = 800
DEFAULT_HEIGHT = 600
TITLE_CHARS = 80
DEFAULT_PORTS = {"http": 80, "https": 443}


RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "not a link to this chainrule server"},
    422: {"model": ErrorResponse},
    501: {"model": ErrorResponse, "description": "a format other than json"},
}


@router.get("/oembed", response_model=OEmbedResponse, response_model_exclude_none=True,
            responses=RESPONSES)
def get_oembed(
    request: Request,
    url: str = Query(description="a link to this server's / or /embed"),
    maxwidth: int | None = Query(None, ge=1, description="the consumer's maximum width in pixels"),
    maxheight: int | None = Query(None, ge=1, description="the consumer's maximum height in pixels"),
    format: str = Query("json", description="only json is implemented (xml: 501)"),
) -> dict[str, Any]:
    """oEmbed "rich" response: an iframe of /embed for a link to this server."""
    if format != "json":
        raise ChainruleError("not_implemented", f"oEmbed format {format!r} is not implemented; "
                             "use format=json", status=501)
    base = public_base(request)  # scheme://host[:port]/root_path/ (CHAINRULE_PUBLIC_URL if set)
    src = embed_src(url, base)
    if src is None:
        raise ChainruleError("not_found", f"not a link to this chainrule server ({base}): {url!r}",
                             status=404)
    width = min(DEFAULT_WIDTH, maxwidth or DEFAULT_WIDTH)
    height = min(DEFAULT_HEIGHT, maxheight or DEFAULT_HEIGHT)
    title = _title(urlsplit(url).query)
    return {
        "type": "rich",
        "version": "1.0",
        "title": title,
        "provider_name": "chainrule",
        "provider_url": base,
        "html": (f'<iframe src="{html.escape(src)}" width="{width}" height="{height}" '
                 f'title="{html.escape(title)}" style="border:0" loading="lazy" '
                 f'data-chainrule></iframe>'),
        "width": width,
        "height": height,
    }


def embed_src(url: str, base: str) -> str | None:
    """The /embed URL for ``url`` if it is this server's ``/`` or ``/embed``, else None.

    Hosts must match and ports must match (a default port counts as none), while http and
    https are both accepted, so a server behind a TLS-terminating proxy still recognises its
    own https links; the iframe keeps the link's scheme.
    """
    try:
        link, ours = urlsplit(url), urlsplit(base)
        if link.scheme not in DEFAULT_PORTS or not link.hostname or link.username or link.password:
            return None
        if (link.hostname.lower(), _port(link.scheme, link.port)) != (
                (ours.hostname or "").lower(), _port(ours.scheme, ours.port)):
            return None
    except ValueError:  # e.g. a port out of range or a malformed IPv6 host
        return None
    root = ours.path.rstrip("/")
    if not link.path.startswith(root) or link.path[len(root):] not in ("", "/", "/embed", "/embed/"):
        return None
    src = f"{link.scheme}://{ours.netloc}{root}/embed"
    if link.query:
        src += f"?{link.query}"
    if link.fragment:
        src += f"#{link.fragment}"
    return src


def _port(scheme: str, port: int | None) -> int | None:
    return None if port == DEFAULT_PORTS.get(scheme) else port


def _title(query: str) -> str:
    """The link's last statement (usually the loss) as the title."""
    expression = (parse_qs(query).get("e") or [""])[0]
    statements = [s.strip() for s in expression.replace(";", "\n").splitlines() if s.strip()]
    if not statements:
        return "chainrule: a computational graph, forward and backward"
    last = statements[-1]
    return "chainrule: " + (last if len(last) <= TITLE_CHARS else last[: TITLE_CHARS - 1] + "…")
