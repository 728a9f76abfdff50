"""The ``chainrule`` command: ``serve`` the app, or ``analyze`` an expression from the shell."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from chainrule.errors import ChainruleError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="chainrule", description="Serve the chainrule web app, or analyze an expression from the shell.",
        epilog='example: chainrule analyze "y = w*x + b; loss = abs(y_true - y)" '
               '--values \'{"x": 2, "y_true": 4, "w": 3, "b": 1}\'')
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="start the web app")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    serve.add_argument("--reload", action="store_true", help="restart on code changes (dev)")

    analyze = commands.add_parser("analyze", help="print the analysis of an expression")
    analyze.add_argument("expression")
    analyze.add_argument("--values", default="{}", help='JSON object, e.g. \'{"x": 2}\'')
    analyze.add_argument("--output", default=None, help="the name to differentiate")
    analyze.add_argument("--format", choices=["json", "dot", "latex"], default="json")
    analyze.add_argument("--direction", choices=["forward", "backward"], default=None,
                         help="which graph, with --format dot (default: backward)")
    analyze.add_argument("--check", action="store_true", help="add finite-difference gradients")

    args = parser.parse_args(argv)
    if args.command == "analyze" and args.direction is not None and args.format != "dot":
        analyze.error(f"--direction draws one graph of --format dot; --format {args.format} has no direction")
    if args.command == "serve":
        return _serve(args)
    return _analyze(args)


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from chainrule.metrics import prepare_multiprocess_dir, remove_multiprocess_dir

    shared_metrics = prepare_multiprocess_dir(args.workers)  # before the workers start
    try:
        uvicorn.run("chainrule.main:app", host=args.host, port=args.port, workers=args.workers,
                    reload=args.reload, proxy_headers=True)
    finally:
        remove_multiprocess_dir(shared_metrics)
    return 0


def _analyze(args: argparse.Namespace) -> int:
    from chainrule import analyze
    from chainrule.export.dot import to_dot
    from chainrule.export.latex import to_latex

    try:
        values: Any = json.loads(args.values)
    except (json.JSONDecodeError, RecursionError) as exc:
        reason = "too_deep" if isinstance(exc, RecursionError) else "syntax"
        detail = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        print(json.dumps({"error": {"code": "invalid_json", "message": f"--values: {detail}",
                                    "params": {"reason": reason}}}), file=sys.stderr)
        return 2
    try:
        result = analyze(args.expression, values, args.output, check=args.check)
        text = (to_dot(result, args.direction or "backward") if args.format == "dot"
                else to_latex(result) if args.format == "latex" else None)
    except ChainruleError as exc:
        print(json.dumps(exc.to_dict()), file=sys.stderr)
        return 1
    if text is not None:
        sys.stdout.write(text)
    else:
        print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
