"""Graphviz DOT of an annotated graph (the dict that ``analyze`` returns)."""

from __future__ import annotations

from typing import Any

PREVIEW_CHARS = 40


def to_dot(analysis: dict[str, Any], direction: str = "forward") -> str:
    """DOT text: nodes with value and gradient; forward edges A -> B, or backward B -> A
    labelled with the local gradient (its formula where it is not elementwise)."""
    backward = direction == "backward"
    lines = [f"digraph {'backward' if backward else 'forward'} {{",
             "  rankdir=LR;",
             '  node [shape=box, style="rounded", fontname="Helvetica"];',
             '  edge [fontname="Helvetica", fontsize=10];']
    output = analysis["output"]
    for node in analysis["nodes"]:
        text = f"{node['label']}\\n= {short_value(node['value'])}"
        if node.get("grad") is not None:
            text += f"\\ngrad = {short_value(node['grad'])}"
        extra = ", penwidth=2" if node["id"] == output else ""
        if node["op"] == "input":
            extra += ', style="rounded,filled", fillcolor="#eef3ff"'
        lines.append(f'  {node["id"]} [label="{_escape_label(text)}"{extra}];')
    for edge in analysis["edges"]:
        if backward:
            local = edge["local_formula"] if edge["local"] is None else short_value(edge["local"])
            lines.append(f'  {edge["target"]} -> {edge["source"]} [label="{_escape(local)}"];')
        else:
            lines.append(f'  {edge["source"]} -> {edge["target"]};')
    lines.append("}")
    return "\n".join(lines) + "\n"


def short_value(value: Any) -> str:
    """A number, tensor or summary in a few characters (for labels)."""
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, dict) and value.get("summary"):
        return f"tensor {value['shape']} mean {value['mean']}"
    text = str(value.tolist() if hasattr(value, "tolist") else value)
    return text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1] + "…"


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _escape_label(text: str) -> str:
    # keep the \n line breaks we wrote, escape everything else
    return "\\n".join(_escape(part) for part in text.split("\\n"))
