"""Exports of an analysis: Graphviz DOT (and, with the front end, SVG/PNG)."""
