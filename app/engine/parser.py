"""Expression parsing: Python-like source -> calls on a graph builder.

A whitelist grammar, a strict subset of Python's expression syntax::

    program   := statement ((NEWLINE | ';') statement)*
    statement := NAME '=' expr | expr
    expr      := term (('+' | '-') term)*
    term      := unary (('*' | '/' | '@') unary)*
    unary     := ('+' | '-') unary | power
    power     := primary ('**' unary)?
    primary   := atom ('.T' | call_args)*
    atom      := NUMBER | NAME | NAME '(' args ')' | '(' expr ')'

Nothing is evaluated: the parser only calls the builder (``name``, ``number``, ``apply``,
``assign``). It is hand-written rather than built on ``ast.parse`` because ``ast.parse``
raises RecursionError on flat sums of ~5,000 terms (a 10,000-term fan-in must work) and
costs ~33 µs per statement, more than the whole evaluation of a scalar graph. Anything
outside the grammar is a ``syntax_error`` with line and column; flat sums and long
statement lists are loops, so only real nesting recurses, and that is capped by
``max_depth``.
"""

from __future__ import annotations

import keyword
import re
from bisect import bisect_right
from typing import Any, Protocol

from app.config import LIMITS, env_name
from app.engine.ops import OPERATORS, OPS
from app.errors import ChainruleError

_TOKEN = re.compile(
    r"""
    (?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
   |(?P<name>[^\W\d]\w*)
   |(?P<op>\*\*|[-+*/@(),=;.])
   |(?P<nl>\n)
   |(?P<skip>[ \t\r\f]+|\\\r?\n|\#[^\n]*)
   |(?P<bad>.)
    """,
    re.VERBOSE,
)

_UNSUPPORTED_CHARS = {
    "'": "string literals are not allowed",
    '"': "string literals are not allowed",
    "[": "list literals and indexing are not allowed in expressions; give tensors in values",
    "]": "list literals and indexing are not allowed in expressions; give tensors in values",
    "{": "dict and set literals are not allowed",
    "}": "dict and set literals are not allowed",
    "%": "the % operator is not supported",
    "<": "comparisons are not supported",
    ">": "comparisons are not supported",
    "!": "comparisons are not supported",
    "&": "bitwise operators are not supported",
    "|": "bitwise operators are not supported",
    "^": "'^' is not a power operator here; use '**'",
    "~": "bitwise operators are not supported",
    ":": "slices, lambdas and annotations are not supported",
}
_LITERALS = {"None": None, "True": True, "False": False}
_BINARY_LEVELS = (("+", "-"), ("*", "/", "@"))


class Builder(Protocol):
    """What the parser drives: graph building lives behind this interface."""

    def name(self, name: str, pos: int) -> Any: ...
    def number(self, value: float, text: str, pos: int) -> Any: ...
    def apply(self, op: str, args: list[Any], kwargs: dict[str, Any], pos: int) -> Any: ...
    def assign(self, name: str, ref: Any, pos: int) -> None: ...
    def result(self, ref: Any, pos: int) -> None: ...


class Source:
    """The expression text, with offsets turned into 1-based line/column only when needed."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._line_starts: list[int] | None = None

    def line_col(self, offset: int) -> tuple[int, int]:
        if self._line_starts is None:
            self._line_starts = [0] + [m.end() for m in re.finditer(r"\n", self.text)]
        line = bisect_right(self._line_starts, offset)
        return line, offset - self._line_starts[line - 1] + 1

    def error(self, code: str, message: str, offset: int) -> ChainruleError:
        line, col = self.line_col(min(offset, len(self.text)))
        return ChainruleError(code, f"{message} (line {line}, column {col})", line, col)


def tokenize(source: Source) -> tuple[list[str], list[str], list[int]]:
    """Kinds, texts and offsets of the tokens; newlines inside brackets are dropped."""
    kinds: list[str] = []
    texts: list[str] = []
    starts: list[int] = []
    depth = 0
    for m in _TOKEN.finditer(source.text):
        kind = m.lastgroup
        if kind == "skip":
            continue
        text = m.group()
        if kind == "bad":
            reason = _UNSUPPORTED_CHARS.get(text, f"unexpected character {text!r}")
            raise source.error("syntax_error", reason, m.start())
        if kind == "op":
            if text == "(":
                depth += 1
            elif text == ")":
                depth -= 1
        elif kind == "nl":
            if depth > 0:
                continue
            text = "\n"
        kinds.append(kind)  # type: ignore[arg-type]
        texts.append(text)
        starts.append(m.start())
    kinds.append("end")
    texts.append("")
    starts.append(len(source.text))
    return kinds, texts, starts


def parse(text: str, builder: Builder) -> None:
    """Parse ``text`` and drive ``builder``; raise ChainruleError on anything outside the grammar."""
    if len(text) > LIMITS.max_expression_chars:
        raise ChainruleError(
            "limit_exceeded",
            f"the expression has {len(text)} characters; the limit is "
            f"{LIMITS.max_expression_chars} (set {env_name('max_expression_chars')})",
        )
    source = Source(text)
    parser = _Parser(source, tokenize(source), builder)
    try:
        parser.program()
    except RecursionError:  # only if CHAINRULE_MAX_DEPTH is set above what the stack allows
        raise source.error("limit_exceeded", "the expression is nested too deeply",
                           parser.starts[parser.i]) from None


class _Parser:
    def __init__(self, source: Source, tokens: tuple[list[str], list[str], list[int]],
                 builder: Builder) -> None:
        self.source = source
        self.kinds, self.texts, self.starts = tokens
        self.builder = builder
        self.i = 0
        self.depth = 0

    # ---------------------------------------------------------------- helpers
    def fail(self, message: str, index: int | None = None) -> ChainruleError:
        return self.source.error("syntax_error", message, self.starts[self.i if index is None else index])

    def describe(self, index: int) -> str:
        kind, text = self.kinds[index], self.texts[index]
        return {"end": "end of the expression", "nl": "end of the line"}.get(kind, repr(text))

    def expect(self, text: str, what: str) -> int:
        if self.texts[self.i] != text or self.kinds[self.i] not in ("op",):
            raise self.fail(f"expected {what}, found {self.describe(self.i)}")
        self.i += 1
        return self.i - 1

    def enter(self) -> None:
        self.depth += 1
        if self.depth > LIMITS.max_depth:
            raise self.source.error(
                "limit_exceeded",
                f"nesting deeper than the limit of {LIMITS.max_depth} "
                f"(set {env_name('max_depth')})",
                self.starts[self.i],
            )

    # ---------------------------------------------------------------- grammar
    def program(self) -> None:
        kinds, texts = self.kinds, self.texts
        statements = 0
        while kinds[self.i] != "end":
            if kinds[self.i] == "nl" or texts[self.i] == ";":
                self.i += 1
                continue
            self.statement()
            statements += 1
            if kinds[self.i] not in ("nl", "end") and texts[self.i] != ";":
                raise self.fail(f"unexpected {self.describe(self.i)}: expected the end of the statement")
        if not statements:
            raise self.fail("the expression is empty")

    def statement(self) -> bool:
        """Parse one statement; True when it was a lone expression."""
        start = self.i
        if self.kinds[start] == "name" and self.texts[start + 1] == "=" and self.kinds[start + 1] == "op":
            name = self.check_name(start)
            self.i += 2
            ref = self.expr()
            self.builder.assign(name, ref, self.starts[start])
            return False
        ref = self.expr()
        if self.texts[self.i] == "=" and self.kinds[self.i] == "op":
            raise self.fail("only a plain name can be assigned to")
        self.builder.result(ref, self.starts[start])
        return True

    def expr(self) -> Any:
        left = self.term()
        texts = self.texts
        while texts[self.i] in ("+", "-") and self.kinds[self.i] == "op":
            at = self.i
            self.i += 1
            right = self.term()
            left = self.builder.apply(OPERATORS[texts[at]].name, [left, right], {}, self.starts[at])
        return left

    def term(self) -> Any:
        left = self.unary()
        texts = self.texts
        while texts[self.i] in ("*", "/", "@") and self.kinds[self.i] == "op":
            at = self.i
            self.i += 1
            right = self.unary()
            left = self.builder.apply(OPERATORS[texts[at]].name, [left, right], {}, self.starts[at])
        return left

    def unary(self) -> Any:
        text = self.texts[self.i]
        if text in ("-", "+") and self.kinds[self.i] == "op":
            at = self.i
            self.i += 1
            self.enter()
            if text == "-" and self.kinds[self.i] == "num" and self.texts[self.i + 1] != "**":
                ref = self.number(negate=True)  # -3 is the constant -3, not neg(3)
            else:
                operand = self.unary()
                ref = operand if text == "+" else self.builder.apply("neg", [operand], {}, self.starts[at])
            self.depth -= 1
            return ref
        return self.power()

    def power(self) -> Any:
        base = self.primary()
        if self.texts[self.i] == "**" and self.kinds[self.i] == "op":
            at = self.i
            self.i += 1
            self.check_exponent()
            self.enter()
            exponent = self.unary()  # right-associative, and 2**-1 is allowed, as in Python
            self.depth -= 1
            return self.builder.apply("pow", [base, exponent], {}, self.starts[at])
        return base

    def check_exponent(self) -> None:
        """A literal exponent beyond max_exponent is refused (x**1e308 helps nobody learn)."""
        at = self.i + 1 if self.texts[self.i] in ("-", "+") else self.i
        if self.kinds[at] == "num" and abs(float(self.texts[at])) > LIMITS.max_exponent:
            raise self.source.error(
                "limit_exceeded",
                f"the exponent {self.texts[at]} is beyond the limit of {LIMITS.max_exponent:g} "
                f"(set {env_name('max_exponent')})",
                self.starts[at],
            )

    def primary(self) -> Any:
        ref = self.atom()
        while self.texts[self.i] == "." and self.kinds[self.i] == "op":
            at = self.i
            if self.kinds[at + 1] != "name" or self.texts[at + 1] != "T":
                raise self.fail("attribute access is not allowed (only .T, the transpose)", at)
            self.i += 2
            ref = self.builder.apply("transpose", [ref], {}, self.starts[at])
        if self.texts[self.i] == "(" and self.kinds[self.i] == "op":
            raise self.fail("only a function name can be called")
        return ref

    def atom(self) -> Any:
        kind, text = self.kinds[self.i], self.texts[self.i]
        if kind == "num":
            return self.number()
        if kind == "name":
            if self.texts[self.i + 1] == "(" and self.kinds[self.i + 1] == "op":
                return self.call()
            name = self.check_name(self.i)
            self.i += 1
            return self.builder.name(name, self.starts[self.i - 1])
        if text == "(" and kind == "op":
            opened = self.i
            self.i += 1
            self.enter()
            ref = self.expr()
            if self.texts[self.i] != ")":
                raise self.fail(f"expected ')' to close the '(' opened at column "
                                f"{self.source.line_col(self.starts[opened])[1]}, "
                                f"found {self.describe(self.i)}")
            self.i += 1
            self.depth -= 1
            return ref
        raise self.fail(f"unexpected {self.describe(self.i)}: expected a number, a name or '('")

    def number(self, negate: bool = False) -> Any:
        text = self.texts[self.i]
        value = float(text)
        self.i += 1
        if negate:
            value, text = -value, "-" + text
        return self.builder.number(value, text, self.starts[self.i - 1])

    def call(self) -> Any:
        at = self.i
        fname = self.texts[at]
        op = OPS.get(fname)
        if op is None or not op.callable:
            known = ", ".join(sorted(n for n, o in OPS.items() if o.callable))
            raise self.source.error("unknown_function",
                                    f"unknown function {fname!r}; known functions: {known}",
                                    self.starts[at])
        self.i += 2
        self.enter()
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        while self.texts[self.i] != ")" or self.kinds[self.i] != "op":
            if self.kinds[self.i] == "name" and self.texts[self.i + 1] == "=":
                key_at = self.i
                key = self.texts[key_at]
                if key not in op.kwargs:
                    allowed = ", ".join(op.kwargs) or "none"
                    raise self.fail(f"{fname}() has no argument {key!r} (keyword arguments: {allowed})",
                                    key_at)
                if key in kwargs:
                    raise self.fail(f"argument {key!r} given twice", key_at)
                self.i += 2
                kwargs[key] = self.literal()
            elif kwargs:
                raise self.fail("positional argument after a keyword argument")
            else:
                args.append(self.expr())
            if self.texts[self.i] == ",":
                self.i += 1
            elif self.texts[self.i] != ")":
                raise self.fail(f"expected ',' or ')' in the call to {fname}(), "
                                f"found {self.describe(self.i)}")
        self.i += 1
        self.depth -= 1
        if len(args) != op.arity:
            hint = "; use maximum(a, b) for the elementwise maximum" if fname in ("max", "min") else ""
            raise self.source.error(
                "syntax_error",
                f"{fname}() takes {op.arity} positional argument{'s' if op.arity != 1 else ''}, "
                f"got {len(args)}{hint}",
                self.starts[at],
            )
        return self.builder.apply(fname, args, kwargs, self.starts[at])

    def literal(self) -> Any:
        """A keyword argument's value: an integer, None/True/False, or a tuple of integers."""
        kind, text = self.kinds[self.i], self.texts[self.i]
        if kind == "name" and text in _LITERALS:
            self.i += 1
            return _LITERALS[text]
        if text == "(" and kind == "op":
            self.i += 1
            items = []
            while self.texts[self.i] != ")":
                items.append(self.integer())
                if self.texts[self.i] == ",":
                    self.i += 1
                elif self.texts[self.i] != ")":
                    raise self.fail(f"expected ',' or ')' in a tuple, found {self.describe(self.i)}")
            self.i += 1
            return tuple(items)
        return self.integer()

    def integer(self) -> int:
        sign = 1
        if self.texts[self.i] == "-":
            sign, self.i = -1, self.i + 1
        if self.kinds[self.i] != "num" or not self.texts[self.i].isdigit():
            raise self.fail(f"expected an integer, found {self.describe(self.i)}")
        self.i += 1
        return sign * int(self.texts[self.i - 1])

    def check_name(self, index: int) -> str:
        name = self.texts[index]
        if keyword.iskeyword(name):
            raise self.fail(f"{name!r} is not supported: statements are `name = expression`, "
                            f"built from numbers, names, operators and functions", index)
        if name.startswith("__"):
            raise self.fail(f"names starting with '__' are not allowed: {name!r}", index)
        return name
