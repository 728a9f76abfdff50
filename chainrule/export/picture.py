"""The forward or backward graph of an analysis as a picture: SVG (text) or PNG (Pillow).

For API callers (notebooks, auto-graders) who want an image without a browser. The page
draws its own, richer pictures; this one is a plain layered drawing: inputs on the left,
the output on the right, every node with its value (forward) or gradient (backward), and
in the backward picture every reversed edge labelled with its local gradient.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from chainrule.config import LIMITS, env_name
from chainrule.engine.budget import check_budget
from chainrule.engine.encode import decode_float
from chainrule.errors import ChainruleError, limit_error
from chainrule.export.dot import short_value

MAX_DRAWN_NODES = 2_000  # beyond this a picture is unreadable: use DOT or the page
PNG_SCALE = 2.0  # pixels per layout unit: sharp on high-density screens
MIN_PNG_SCALE = 0.1  # below this even the boxes are a few pixels: refused, not drawn
MIN_TEXT_SCALE = 0.4  # below this the 13-unit font is under 6 pixels: an overview, no text
BUDGET_EVERY = 64  # drawing steps between compute-budget checks
BOX_W, BOX_H = 168, 54
GAP_X, GAP_Y, MARGIN = 70, 22, 20
FONT_SIZE = 13
INPUT_FILL, OP_FILL, CONST_FILL = "#e8f0fe", "#ffffff", "#f3f3f3"
GRAD_RGB = (236, 120, 60)  # the page's |gradient| colour
PARALLEL_GAP = 26  # between edges from one source into one operation (x*x), as on the page


@dataclass
class Box:
    """One node's rectangle and its text lines (label, op, number)."""

    id: str
    x: float
    y: float
    kind: str
    title: str
    tag: str
    number: str
    shade: float | None  # 0..1, |gradient| on a log scale (backward picture); None: no colour
    output: bool


@dataclass
class Link:
    """One edge, drawn from ``start`` to ``end`` (reversed in the backward picture)."""

    start: tuple[float, float]
    end: tuple[float, float]
    label: str
    offset: float = 0.0  # sideways bend, so parallel edges (x*x) are drawn apart

    def controls(self) -> list[tuple[float, float]]:
        """The cubic's four points: the ends move half the offset, the middle the whole."""
        (x1, y1), (x2, y2) = self.start, self.end
        mid, o = (x1 + x2) / 2, self.offset
        return [(x1, y1 + o / 2), (mid, y1 + o), (mid, y2 + o), (x2, y2 + o / 2)]

    def middle(self) -> tuple[float, float]:
        """The curve's point at t = 1/2, where its label goes."""
        p = self.controls()
        return ((p[0][0] + 3 * p[1][0] + 3 * p[2][0] + p[3][0]) / 8,
                (p[0][1] + 3 * p[1][1] + 3 * p[2][1] + p[3][1]) / 8)


@dataclass
class Picture:
    width: float
    height: float
    boxes: list[Box]
    links: list[Link]
    direction: str


def picture(analysis: dict[str, Any], direction: str = "forward") -> Picture:
    """Lay out the graph in layers by longest path from the inputs (topological order given)."""
    nodes = analysis["nodes"]
    if len(nodes) > MAX_DRAWN_NODES:
        raise ChainruleError(
            "limit_exceeded",
            f"the graph has {len(nodes)} nodes; pictures are limited to {MAX_DRAWN_NODES} "
            "(export DOT, or use the page)")
    backward = direction == "backward"
    by_id = {n["id"]: n for n in nodes}
    sources: dict[str, list[str]] = {n["id"]: [] for n in nodes}
    for e in analysis["edges"]:
        sources[e["target"]].append(e["source"])
    layer: dict[str, int] = {}
    consumers: dict[str, list[str]] = {n["id"]: [] for n in nodes}
    for node_id in analysis["forward_order"]:
        layer[node_id] = 1 + max((layer[s] for s in sources[node_id]), default=-1)
        for s in sources[node_id]:
            consumers[s].append(node_id)
    for node_id in analysis["forward_order"]:  # inputs and constants next to their first use
        if not sources[node_id] and consumers[node_id]:
            layer[node_id] = min(layer[c] for c in consumers[node_id]) - 1
    columns: list[list[str]] = [[] for _ in range(max(layer.values(), default=0) + 1)]
    row: dict[str, float] = {}
    for node_id in analysis["forward_order"]:  # barycentre of the sources' rows, one sweep
        column = columns[layer[node_id]]
        wanted = [row[s] for s in sources[node_id]]
        row[node_id] = sum(wanted) / len(wanted) if wanted else len(column)
        column.append(node_id)
    for column in columns:
        column.sort(key=lambda i: row[i])
        for k, node_id in enumerate(column):
            row[node_id] = k
    tallest = max(len(c) for c in columns) if columns else 1
    logs = [math.log10(m) for n in nodes if (m := _magnitude(n.get("grad"))) > 0 and math.isfinite(m)]
    low, high = (min(logs), max(logs)) if logs else (0.0, 1.0)
    boxes: dict[str, Box] = {}
    for node_id, n in by_id.items():
        x = MARGIN + layer[node_id] * (BOX_W + GAP_X)
        y = MARGIN + row[node_id] * (BOX_H + GAP_Y) + (tallest - len(columns[layer[node_id]])) \
            * (BOX_H + GAP_Y) / 2
        shown = n.get("grad") if backward else n["value"]
        number = "" if shown is None else ("grad = " if backward else "= ") + _number(shown, n["shape"])
        magnitude = _magnitude(n.get("grad"))
        shade = ((math.log10(magnitude) - low) / (high - low or 1.0)
                 if backward and magnitude > 0 and math.isfinite(magnitude) else None)
        boxes[node_id] = Box(node_id, x, y, n["op"], n["label"], n["op"], number, shade,
                             node_id == analysis["output"])
    links = []
    offsets = _parallel_offsets(analysis["edges"])
    for e, offset in zip(analysis["edges"], offsets, strict=True):
        tail, head = boxes[e["source"]], boxes[e["target"]]
        out_point, in_point = (tail.x + BOX_W, tail.y + BOX_H / 2), (head.x, head.y + BOX_H / 2)
        if backward:
            label = e["local_formula"] if e["local"] is None else short_value(e["local"])
            links.append(Link(in_point, out_point, label, offset))
        else:
            links.append(Link(out_point, in_point, "", offset))
    width = MARGIN * 2 + len(columns) * BOX_W + (len(columns) - 1) * GAP_X
    height = MARGIN * 2 + tallest * BOX_H + (tallest - 1) * GAP_Y
    return Picture(width, height, list(boxes.values()), links, direction)


def _parallel_offsets(edges: list[dict[str, Any]]) -> list[float]:
    """Each edge's sideways offset: 0 alone; k edges with one source and target spread around 0."""
    groups: dict[tuple[str, str], list[int]] = {}
    for i, e in enumerate(edges):
        groups.setdefault((e["source"], e["target"]), []).append(i)
    offsets = [0.0] * len(edges)
    for members in groups.values():
        for k, i in enumerate(members):
            offsets[i] = (k - (len(members) - 1) / 2) * PARALLEL_GAP
    return offsets


def _number(value: Any, shape: list[int]) -> str:
    """A scalar as a number; a tensor by its shape (the picture has no room for its values)."""
    if shape:
        return "tensor " + "×".join(map(str, shape))
    return short_value(value)


def _magnitude(grad: Any) -> float:
    """max |g| over a gradient (number, nested list, summary), NaN when there is none."""
    if grad is None:
        return math.nan
    if isinstance(grad, dict):
        return max(abs(decode_float(grad["min"])), abs(decode_float(grad["max"])))
    if isinstance(grad, list):
        return max((_magnitude(g) for g in grad), default=0.0)
    return abs(decode_float(grad))


def _fill(box: Box) -> str:
    if box.shade is not None:
        mix = 0.15 + 0.75 * box.shade
        r, g, b = (round(255 + (c - 255) * mix) for c in GRAD_RGB)
        return f"#{r:02x}{g:02x}{b:02x}"
    return {"input": INPUT_FILL, "const": CONST_FILL}.get(box.kind, OP_FILL)


def _clip(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[: chars - 1] + "…"


def _plain(text: str) -> str:
    """Pillow's built-in font has no multiplication sign."""
    return text.replace("×", "x")


# ------------------------------------------------------------------------------ SVG


def to_svg(analysis: dict[str, Any], direction: str = "forward") -> str:
    """A standalone SVG document of the forward or backward graph."""
    pic = picture(analysis, direction)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{pic.width:.0f}" '
        f'height="{pic.height:.0f}" viewBox="0 0 {pic.width:.0f} {pic.height:.0f}" '
        f'font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="{FONT_SIZE}">',
        f"<title>chainrule: {escape(pic.direction)} graph</title>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#777"/></marker></defs>',
        '<rect width="100%" height="100%" fill="#ffffff"/>',
    ]
    for link in pic.links:
        (x1, y1), (c1x, c1y), (c2x, c2y), (x2, y2) = link.controls()
        parts.append(f'<path d="M{x1:.1f},{y1:.1f} C{c1x:.1f},{c1y:.1f} {c2x:.1f},{c2y:.1f} '
                     f'{x2:.1f},{y2:.1f}" fill="none" stroke="#777" stroke-width="1.3" '
                     f'marker-end="url(#arrow)"/>')
        if link.label:
            mx, my = link.middle()
            parts.append(f'<text x="{mx:.1f}" y="{my - 4:.1f}" text-anchor="middle" '
                         f'font-size="{FONT_SIZE - 2}" fill="#333">{escape(_clip(link.label, 24))}</text>')
    for box in pic.boxes:
        stroke = 'stroke="#222" stroke-width="2.5"' if box.output else 'stroke="#555" stroke-width="1"'
        parts.append(f'<g class="node" data-id={quoteattr(box.id)}>'
                     f'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="{BOX_W}" height="{BOX_H}" '
                     f'rx="6" fill="{_fill(box)}" {stroke}/>'
                     f'<text x="{box.x + 8:.1f}" y="{box.y + 19:.1f}" font-weight="bold">'
                     f'{escape(_clip(box.title, 16))}</text>'
                     f'<text x="{box.x + BOX_W - 8:.1f}" y="{box.y + 19:.1f}" text-anchor="end" '
                     f'font-size="{FONT_SIZE - 3}" fill="#666">{escape(box.tag)}</text>'
                     f'<text x="{box.x + 8:.1f}" y="{box.y + 41:.1f}" font-family="DejaVu Sans Mono, '
                     f'monospace">{escape(_clip(box.number, 22))}</text></g>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


# ------------------------------------------------------------------------------ PNG


def png_scale(width: float, height: float, max_pixels: int | None = None) -> float:
    """Pixels per layout unit for a ``width`` x ``height`` picture: PNG_SCALE, or smaller so
    the image stays within ``max_pixels``; ``limit_exceeded`` if that would be unreadable.

    Decided from the layout alone, before a single pixel is allocated.
    """
    limit = LIMITS.max_picture_pixels if max_pixels is None else max_pixels
    area = max(width * height, 1.0)
    scale = min(PNG_SCALE, math.sqrt(limit / area))
    if scale < MIN_PNG_SCALE:
        needed = math.ceil(width * MIN_PNG_SCALE) * math.ceil(height * MIN_PNG_SCALE)
        raise limit_error("the PNG picture of this graph (pixels at the smallest useful size; "
                          "export SVG or DOT instead)", limit, env_name("max_picture_pixels"),
                          needed)
    return scale


def to_png(analysis: dict[str, Any], direction: str = "forward") -> bytes:
    """The same picture as a PNG (drawn with Pillow), within ``max_picture_pixels``."""
    from PIL import Image, ImageDraw, ImageFont

    pic = picture(analysis, direction)
    scale = png_scale(pic.width, pic.height)
    size = (max(1, int(pic.width * scale)), max(1, int(pic.height * scale)))  # floor: within the limit
    image = Image.new("RGB", size, "white")
    try:
        _draw_png(ImageDraw.Draw(image), pic, scale, ImageFont)
        out = io.BytesIO()
        image.save(out, format="PNG", optimize=False)
    finally:
        image.close()  # the pixels go back now, not when a collector gets round to it
    return out.getvalue()


def _draw_png(draw: Any, pic: Picture, scale: float, fonts: Any) -> None:
    text = scale >= MIN_TEXT_SCALE
    regular = fonts.load_default(size=max(1, round(FONT_SIZE * scale)))
    small = fonts.load_default(size=max(1, round((FONT_SIZE - 3) * scale)))
    for k, link in enumerate(pic.links):
        if k % BUDGET_EVERY == 0:
            check_budget()
        points = _curve(link, scale)
        draw.line(points, fill="#777777", width=max(1, round(1.3 * scale)))
        _arrowhead(draw, points[-2], points[-1], scale)
        if link.label and text:
            mx, my = link.middle()
            draw.text((mx * scale, (my - 4) * scale),
                      _plain(_clip(link.label, 24)), font=small, fill="#333333", anchor="ms")
    for k, box in enumerate(pic.boxes):
        if k % BUDGET_EVERY == 0:
            check_budget()
        corners = [box.x * scale, box.y * scale, (box.x + BOX_W) * scale, (box.y + BOX_H) * scale]
        draw.rounded_rectangle(corners, radius=6 * scale, fill=_fill(box),
                               outline="#222222" if box.output else "#555555",
                               width=max(1, round((2.5 if box.output else 1) * scale)))
        if not text:
            continue
        draw.text(((box.x + 8) * scale, (box.y + 19) * scale), _clip(box.title, 16),
                  font=regular, fill="#000000", anchor="ls")
        draw.text(((box.x + BOX_W - 8) * scale, (box.y + 19) * scale), box.tag,
                  font=small, fill="#666666", anchor="rs")
        draw.text(((box.x + 8) * scale, (box.y + 41) * scale), _plain(_clip(box.number, 22)),
                  font=regular, fill="#000000", anchor="ls")


def _curve(link: Link, scale: float, steps: int = 16) -> list[tuple[float, float]]:
    """The SVG's cubic Bézier, as a polyline."""
    controls = link.controls()
    points = []
    for k in range(steps + 1):
        t = k / steps
        weights = ((1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t ** 2, t ** 3)
        points.append((sum(w * p[0] for w, p in zip(weights, controls, strict=True)) * scale,
                       sum(w * p[1] for w, p in zip(weights, controls, strict=True)) * scale))
    return points


def _arrowhead(draw: Any, before: tuple[float, float], tip: tuple[float, float], scale: float) -> None:
    angle = math.atan2(tip[1] - before[1], tip[0] - before[0])
    size = 7 * scale
    left = (tip[0] - size * math.cos(angle - 0.4), tip[1] - size * math.sin(angle - 0.4))
    right = (tip[0] - size * math.cos(angle + 0.4), tip[1] - size * math.sin(angle + 0.4))
    draw.polygon([tip, left, right], fill="#777777")
