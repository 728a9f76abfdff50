"""Expression parsing: Python-like source -> calls on a graph builder.

A whitelist grammar, a strict subset of Python's expression syntax::

    program   := statement ((NEWLINE | ';') statement)*
    statement := NAME '=' expr | expr
    expr      := term (('+' | '-') term)*
    term      := unary (('*' | '/' | '@') unary)*
    unary     := ('+' | '-') unary | power
    power     := primary ('**' unary)?
    primary   := atom ('.T' | '[' index (',' index)* ']')*
    atom      := NUMBER | NAME | NAME '(' args ')' | '(' expr ')'
    index     := INT | INT? ':' INT? (':' INT?)?
    args      := (tensors | expr) (',' expr)* (',' literal)* (',' NAME '=' literal)*
    tensors   := '(' expr (',' expr)* ','? ')'     (only concat and stack)
    literal   := number | None | True | False | '(' INT (',' INT)* ','? ')'

A call's arguments are its tensors, then (for the keyword arguments an op lists as
``positional``) literals in order, then keyword arguments: ``reshape(x, (2, -1))``,
``leaky_relu(x, 0.01)``, ``concat((a, b), axis=0)``. Integers and slices in brackets index a
tensor; nothing else is allowed there (no names, no boolean or fancy indexing).

Nothing is evaluated: the parser only calls the builder (``name``, ``number``, ``apply``,
``assign``). It is hand-written rather than built on ``ast.parse`` because ``ast.parse``
raises RecursionError on flat sums of a few thousand terms (a 10,000-term fan-in must
work) and costs more per statement than the whole evaluation of a scalar graph
(bench/README.md, "Speed tricks"). Anything
outside the grammar is a ``syntax_error`` with line and column; flat sums and long
statement lists are loops, so only real nesting recurses, and that is capped by
``max_depth``.
"""

from __future__ import annotations

import keyword
import re
from bisect import bisect_right
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final, Protocol

from chainrule.config import LIMITS, env_name
from chainrule.engine.ops import OPERATORS, OPS, Op
from chainrule.errors import ChainruleError, did_you_mean, suggestions

# One findall() gives every token as a string, the way the parser reads them. Blanks, line
# continuations and comments are skipped (possessively: a comment is never re-read as code);
# the empty match at the end is the end-of-input token. Any other single character is a
# token of its own, so nothing is ever skipped silently: the parser rejects what it does not
# know. Offsets, for error messages only, come from the same pattern (Source.offset).
_TOKEN = re.compile(
    r"""
    (?:[ \t\r\f]+|\\\r?\n|\#[^\n]*)*+
    ( [^\W\d]\w*                           # name (first: the most common token)
    | (?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?   # number (ASCII digits)
    | \*\*                                 # power
    | [^ \t\r\f]                           # any other character, newline included
    | \Z                                   # end
    )
    """,
    re.VERBOSE,
)
# The first character no token can hold (a quote, a bracket, '%', ...), comments skipped:
# reported before any syntax error, as it is what the user must change first.
_FIRST_STRAY = re.compile(r"(?:[\w \t\r\f\n.+\-*/@(),=;\[\]:]|\\\r?\n|\#[^\n]*)*+(.)", re.DOTALL)
#: The two ops the grammar writes without a call or an infix symbol (GET /api/meta shows them
#: so): ``-x`` and ``x.T``. Binary operators are the op table's (``ops.OPERATORS``).
NEGATION: Final = "neg"
TRANSPOSE: Final = "transpose"
END: Final = ""
NEWLINE: Final = "\n"
_PUNCTUATION: Final = frozenset({"**", "+", "-", "*", "/", "@", "(", ")", ",", "=", ";", ".",
                                 "[", "]", ":", NEWLINE, END})
#: The op of ``x[...]`` (a key of integers and slices; each indexing gets its own Op variant).
INDEX: Final = "index"
_OPENING: Final = frozenset({"(", "["})
_CLOSING: Final = frozenset({")", "]"})
_DIGITS: Final = frozenset("0123456789")
_NAME_START: Final = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")  # the common case
_RESERVED: Final = frozenset(keyword.kwlist)

_UNSUPPORTED_CHARS: Final[Mapping[str, str]] = MappingProxyType({
    "'": "string literals are not allowed",
    '"': "string literals are not allowed",
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
})
_LITERALS: Final[Mapping[str, Any]] = MappingProxyType({"None": None, "True": True, "False": False})
NO_KWARGS: Final[Mapping[str, Any]] = MappingProxyType({})


def is_number(token: str) -> bool:
    return token[:1] in _DIGITS or (token[:1] == "." and token != ".")


def is_name(token: str) -> bool:
    """A name token: not punctuation, not a number, and not a lone stray character."""
    if token in _PUNCTUATION or is_number(token):
        return False
    # Names are the only multi-character tokens left; a single character is a name when it
    # is what [^\W\d] matches: a word character that is not a decimal digit.
    return len(token) > 1 or ((token.isalnum() or token == "_") and not token.isdecimal())


def stray_message(char: str) -> str:
    return _UNSUPPORTED_CHARS.get(char, f"unexpected character {char!r}")


def is_stray(token: str) -> bool:
    """A character outside the grammar, e.g. a quote or a bracket."""
    return len(token) == 1 and token not in _PUNCTUATION and not is_name(token) \
        and not is_number(token)


class Builder(Protocol):
    """What the parser drives: graph building lives behind this interface. Positions are
    token indices (see :meth:`Source.line_col`)."""

    def name(self, name: str, pos: int) -> Any: ...
    def number(self, value: float, text: str, pos: int) -> Any: ...
    def apply(self, op: Op, args: tuple[Any, ...], kwargs: Mapping[str, Any], pos: int) -> Any: ...
    def assign(self, name: str, ref: Any, pos: int) -> None: ...
    def result(self, ref: Any, pos: int) -> None: ...


class Source:
    """The expression text and its tokens; token indices become 1-based line/column only when
    a message needs them."""

    def __init__(self, text: str, tokens: list[str] | None = None,
                 kept: list[int] | None = None) -> None:
        self.text = text
        self.tokens = tokens if tokens is not None else []  # none needed to place a stray char
        self._kept = kept
        self._offsets: list[int] | None = None
        self._line_starts: list[int] | None = None

    def offset(self, token: int) -> int:
        """The character offset of token number ``token``."""
        if self._offsets is None:
            offsets = [m.start(1) for m in _TOKEN.finditer(self.text)]
            offsets.append(len(self.text))  # the END that tokenize() adds
            self._offsets = offsets if self._kept is None else [offsets[k] for k in self._kept]
        return self._offsets[min(token, len(self._offsets) - 1)]

    def line_col(self, token: int) -> tuple[int, int]:
        return self.line_col_at(self.offset(token))

    def line_col_at(self, offset: int) -> tuple[int, int]:
        if self._line_starts is None:
            self._line_starts = [0] + [m.end() for m in re.finditer(r"\n", self.text)]
        line = bisect_right(self._line_starts, offset)
        return line, offset - self._line_starts[line - 1] + 1

    def error(self, code: str, message: str, token: int,
              params: dict[str, Any] | None = None) -> ChainruleError:
        return self.error_at(code, message, self.offset(token), params)

    def error_at(self, code: str, message: str, offset: int,
                 params: dict[str, Any] | None = None) -> ChainruleError:
        line, col = self.line_col_at(offset)
        return ChainruleError(code, f"{message} (line {line}, column {col})", line, col,
                              params=params)


def first_stray(text: str) -> re.Match[str] | None:
    """Where the first character outside every token is (its group 1), if anywhere."""
    return _FIRST_STRAY.match(text)


def tokenize(text: str) -> tuple[list[str], list[int] | None]:
    """The tokens, ending with END; newlines inside brackets are dropped (as Python does).

    Also the indices of the kept tokens among all of ``findall``'s when some were dropped.
    """
    tokens = _TOKEN.findall(text)
    tokens.append(END)  # one token of lookahead past the end, whatever the parser peeks at
    if NEWLINE not in tokens or all(line.count("(") == line.count(")")
                                    and line.count("[") == line.count("]")
                                    for line in text.split("\n")):
        # Every line balanced (comments included, which at worst sends a text the long way):
        # no newline is inside brackets.
        return tokens, None
    kept: list[int] = []
    depth = 0
    for k, token in enumerate(tokens):
        if token in _OPENING:
            depth += 1
        elif token in _CLOSING:
            depth -= 1
        elif token == NEWLINE and depth > 0:
            continue
        kept.append(k)
    return [tokens[k] for k in kept], kept


def parse(text: str, builder: Builder) -> Source:
    """Parse ``text`` and drive ``builder``; raise ChainruleError on anything outside the grammar."""
    if len(text) > LIMITS.max_expression_chars:
        raise ChainruleError(
            "limit_exceeded",
            f"the expression has {len(text)} characters; the limit is "
            f"{LIMITS.max_expression_chars} (set {env_name('max_expression_chars')})",
        )
    stray = first_stray(text)
    if stray is not None:
        char = stray.group(1)
        raise Source(text).error_at("syntax_error", stray_message(char), stray.start(1),
                                    {"reason": "stray", "char": char})
    source = Source(text, *tokenize(text))
    parser = _Parser(source, builder)
    try:
        parser.program()
    except RecursionError:  # only if CHAINRULE_MAX_DEPTH is set above what the stack allows
        raise source.error("limit_exceeded", "the expression is nested too deeply",
                           parser.i) from None
    return source


class _Parser:
    def __init__(self, source: Source, builder: Builder) -> None:
        self.source = source
        self.toks = source.tokens
        self.builder = builder
        self.i = 0
        self.depth = 0
        self.max_depth = LIMITS.max_depth

    # ---------------------------------------------------------------- helpers
    def fail(self, message: str, index: int | None = None, reason: str | None = None,
             **params: Any) -> ChainruleError:
        """A syntax error at token ``index`` (default: the current one); a stray character
        there is named instead, since that is what the user must change. ``reason`` and
        ``params`` let a page say it in its own language (static/js/strings/errors.js)."""
        at = self.i if index is None else index
        token = self.toks[at]
        if is_stray(token):
            message, reason, params = stray_message(token), "stray", {"char": token}
        return self.source.error("syntax_error", message, at,
                                 {"reason": reason, **params} if reason else None)

    def unexpected(self, at: int, expected: str) -> ChainruleError:
        """``unexpected <token>: expected <what>``; at the end of a line or of the text, the
        statement is incomplete."""
        token = self.toks[at]
        if token in (END, NEWLINE):
            return self.fail(f"unexpected {self.describe(at)}: expected {expected}", at, "incomplete")
        return self.fail(f"unexpected {self.describe(at)}: expected {expected}", at,
                         "unexpected", found=token)

    def describe(self, index: int) -> str:
        token = self.toks[index]
        return {END: "end of the expression", NEWLINE: "end of the line"}.get(token, repr(token))

    def enter(self) -> None:
        self.depth += 1
        if self.depth > self.max_depth:
            raise self.source.error(
                "limit_exceeded",
                f"nesting deeper than the limit of {LIMITS.max_depth} "
                f"(set {env_name('max_depth')})",
                self.i,
            )

    # ---------------------------------------------------------------- grammar
    def program(self) -> None:
        toks = self.toks
        statements = 0
        while toks[self.i] != END:
            if toks[self.i] in (NEWLINE, ";"):
                self.i += 1
                continue
            self.statement()
            statements += 1
            if toks[self.i] not in (NEWLINE, END, ";"):
                raise self.fail(f"unexpected {self.describe(self.i)}: expected the end of the "
                                f"statement", None, "extra", found=toks[self.i])
        if not statements:
            raise self.fail("the expression is empty", None, "empty")

    def statement(self) -> None:
        start = self.i
        if self.toks[start + 1] == "=" and is_name(self.toks[start]):
            name = self.check_name(start)
            self.i += 2
            ref = self.expr()
            self.builder.assign(name, ref, start)
            return
        ref = self.expr()
        if self.toks[self.i] == "=":
            raise self.fail("only a plain name can be assigned to", None, "assign_target")
        self.builder.result(ref, start)

    def expr(self) -> Any:
        left = self.term()
        toks = self.toks
        token = toks[self.i]
        while token == "+" or token == "-":
            at = self.i
            self.i = at + 1
            left = self.builder.apply(OPERATORS[token], (left, self.term()), NO_KWARGS, at)
            token = toks[self.i]
        return left

    def term(self) -> Any:
        left = self.factor()
        toks = self.toks
        token = toks[self.i]
        while token == "*" or token == "/" or token == "@":
            at = self.i
            self.i = at + 1
            left = self.builder.apply(OPERATORS[token], (left, self.factor()), NO_KWARGS, at)
            token = toks[self.i]
        return left

    def factor(self) -> Any:
        """Python's ``factor``, ``power``, ``primary`` and ``atom`` in one: ``-x``, ``x.T``,
        ``x ** y``, ``f(x)``, ``(x)``. One function rather than four: a call per grammar level
        per operand was the parser's main cost."""
        toks = self.toks
        at = self.i
        token = toks[at]
        first = token[:1]
        if first in _NAME_START or (first not in _DIGITS and first not in "(-+" and is_name(token)):
            if toks[at + 1] == "(":
                ref = self.call()
            else:
                if token in _RESERVED or first == "_":
                    self.check_name(at)
                self.i = at + 1
                ref = self.builder.name(token, at)
        elif token == "-" or token == "+":
            return self.unary(token)
        elif token == "(":
            ref = self.group()
        elif is_number(token):
            ref = self.number()
        else:
            if self.toks[at] in ("[", ":"):  # a hint of its own: what the user meant to write
                raise self.fail(self.unexpected_atom(at), at, "unexpected", found=self.toks[at])
            raise self.unexpected(at, "a number, a name or '('")
        token = toks[self.i]
        while token == "." or token == "[":
            at = self.i
            if token == "[":
                ref = self.index(ref)
            else:
                if toks[at + 1] != "T":
                    raise self.fail("attribute access is not allowed (only .T, the transpose)", at,
                                    "attribute")
                self.i = at + 2
                ref = self.builder.apply(OPS[TRANSPOSE], (ref,), NO_KWARGS, at)
            token = toks[self.i]
        if token == "(":
            raise self.fail("only a function name can be called", None, "not_callable")
        if token == "**":
            at = self.i
            self.i = at + 1
            self.check_exponent()
            self.enter()
            exponent = self.factor()  # right-associative, and 2**-1 is allowed, as in Python
            self.depth -= 1
            return self.builder.apply(OPS["pow"], (ref, exponent), NO_KWARGS, at)
        return ref

    def unexpected_atom(self, at: int) -> str:
        if self.toks[at] == "[":
            return "list literals are not allowed in expressions; give tensors in values"
        return "a slice is allowed only inside brackets: x[1:3]"

    def index(self, ref: Any) -> Any:
        """``ref[...]``: integers and slices, one per axis from the first."""
        at = self.i
        self.i = at + 1
        key: list[int | slice] = []
        while True:
            key.append(self.index_item())
            token = self.toks[self.i]
            if token == ",":
                self.i += 1
                if self.toks[self.i] != "]":
                    continue
            elif token != "]":
                raise self.fail(f"expected ',', ':' or ']' in an index, found {self.describe(self.i)}",
                                None, "index_separator")
            break
        self.i += 1
        kwargs = {"key": tuple(key)}
        op = OPS[INDEX]
        assert op.variant is not None
        return self.builder.apply(op.variant(1, kwargs), (ref,), kwargs, at)

    def index_item(self) -> int | slice:
        """One axis of an index: ``1``, ``-1``, ``:``, ``1:3``, ``::2``."""
        parts: list[int | None] = [self.index_integer()]
        while self.toks[self.i] == ":" and len(parts) < 3:
            self.i += 1
            parts.append(self.index_integer())
        if len(parts) == 1:
            if parts[0] is None:
                raise self.fail(f"expected an integer or a slice in the index, found "
                                f"{self.describe(self.i)}", None, "index_item")
            return parts[0]
        return slice(*parts)

    def index_integer(self) -> int | None:
        token = self.toks[self.i]
        if token in (":", ",", "]"):
            return None
        if is_name(token) or token == "(" or (is_number(token) and not token.isdigit()):
            raise self.fail("an index is integers and slices written out (x[1], x[:, 0], x[1:3]); "
                            "to pick rows by a tensor of indices use embedding(E, idx)", None, "index_form")
        return self.integer()

    def unary(self, sign: str) -> Any:
        at = self.i
        toks = self.toks
        self.i = at + 1
        self.enter()
        if sign == "-" and is_number(toks[at + 1]) and toks[at + 2] != "**":
            ref = self.number(negate=True)  # -3 is the constant -3, not neg(3)
        else:
            ref = self.factor()
            if sign == "-":
                ref = self.builder.apply(OPS[NEGATION], (ref,), NO_KWARGS, at)
        self.depth -= 1
        return ref

    def group(self) -> Any:
        """A parenthesized expression."""
        at = self.i
        self.i = at + 1
        self.enter()
        ref = self.expr()
        if self.toks[self.i] != ")":
            column = self.source.line_col(at)[1]
            raise self.fail(f"expected ')' to close the '(' opened at column {column}, "
                            f"found {self.describe(self.i)}", None, "unclosed", column=column)
        self.i += 1
        self.depth -= 1
        return ref

    def check_exponent(self) -> None:
        """A literal exponent beyond max_exponent is refused (x**1e308 helps nobody learn)."""
        at = self.i + 1 if self.toks[self.i] in ("-", "+") else self.i
        if is_number(self.toks[at]) and abs(float(self.toks[at])) > LIMITS.max_exponent:
            raise self.source.error(
                "limit_exceeded",
                f"the exponent {self.toks[at]} is beyond the limit of {LIMITS.max_exponent:g} "
                f"(set {env_name('max_exponent')})",
                at,
            )

    def number(self, negate: bool = False) -> Any:
        at = self.i
        text = self.toks[at]
        value = float(text)
        self.i = at + 1
        if negate:
            value, text = -value, "-" + text
        return self.builder.number(value, text, at)

    def call(self) -> Any:
        at = self.i
        toks = self.toks
        fname = toks[at]
        op = OPS.get(fname)
        if op is None or not op.callable:
            known = sorted(n for n, o in OPS.items() if o.callable)
            close = suggestions(fname, known)
            raise self.source.error(
                "unknown_function",
                f"unknown function {fname!r}{did_you_mean(close)} (known functions: "
                + ", ".join(known) + ")", at, {"name": fname, "suggestions": close, "known": known})
        self.i = at + 2
        self.enter()
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        if op.tensor_tuple:
            args = self.tensor_tuple(fname)
            if toks[self.i] == ",":
                self.i += 1
        literals = 0  # keyword arguments given positionally so far
        while toks[self.i] != ")":
            if toks[self.i + 1] == "=" and is_name(toks[self.i]):
                key_at = self.i
                key = toks[key_at]
                if key not in op.kwargs:
                    allowed = ", ".join(op.kwargs) or "none"
                    raise self.fail(f"{fname}() has no argument {key!r} (keyword arguments: {allowed})",
                                    key_at, "no_keyword", name=fname, key=key, known=list(op.kwargs))
                if key in kwargs:
                    raise self.fail(f"argument {key!r} given twice", key_at, "keyword_twice", key=key)
                self.i += 2
                kwargs[key] = self.literal(f"{fname}()'s {key}", isinstance(op.kwargs[key], float))
            elif len(kwargs) > literals:
                raise self.fail("positional argument after a keyword argument", None, "keyword_order")
            elif (len(args) >= op.arity or op.tensor_tuple) and literals < len(op.positional):
                key = op.positional[literals]
                literals += 1
                kwargs[key] = self.literal(f"{fname}()'s {key}", isinstance(op.kwargs[key], float))
            else:
                args.append(self.expr())
            if toks[self.i] == ",":
                self.i += 1
            elif toks[self.i] != ")":
                raise self.fail(f"expected ',' or ')' in the call to {fname}(), "
                                f"found {self.describe(self.i)}", None, "call_separator", name=fname)
        self.i += 1
        self.depth -= 1
        if op.variant is not None:
            return self.builder.apply(op.variant(len(args), kwargs), tuple(args), kwargs, at)
        if len(args) != op.arity:
            hint = "; use maximum(a, b) for the elementwise maximum" if fname in ("max", "min") else ""
            raise self.source.error(
                "syntax_error",
                f"{fname}() takes {op.arity} positional argument{'s' if op.arity != 1 else ''}, "
                f"got {len(args)}{hint}",
                at,
                {"reason": "arity_pairwise" if hint else "arity", "name": fname, "expected": op.arity,
                 "got": len(args), **({"pair": f"{fname}imum"} if hint else {})},
            )
        return self.builder.apply(op, tuple(args), kwargs or NO_KWARGS, at)

    def tensor_tuple(self, fname: str) -> list[Any]:
        """concat's and stack's first argument: ``(a, b, ...)``, a tuple of expressions."""
        at = self.i
        if self.toks[at] != "(":
            raise self.fail(f"{fname}() takes a tuple of tensors first: {fname}((a, b), axis=0)", None,
                            "tuple_first", name=fname)
        self.i = at + 1
        self.enter()
        items: list[Any] = []
        commas = 0
        while self.toks[self.i] != ")":
            items.append(self.expr())
            if self.toks[self.i] == ",":
                self.i += 1
                commas += 1
            elif self.toks[self.i] != ")":
                raise self.fail(f"expected ',' or ')' in the tuple of tensors, found "
                                f"{self.describe(self.i)}", None, "tuple_separator")
        self.i += 1
        self.depth -= 1
        if not commas:  # (a) is a parenthesized tensor, not a tuple
            raise self.fail(f"{fname}() takes a tuple of tensors first: {fname}((a, b), axis=0)"
                            + (" (a tuple of one tensor is written (a,))" if items else ""), at,
                            "tuple_first", name=fname)
        return items

    def literal(self, what: str, real: bool) -> Any:
        """A keyword argument's value: None/True/False, a tuple of integers (a shape, axes, a
        stride pair), an integer, or (``real``: its default is a float, as eps) any number."""
        token = self.toks[self.i]
        if token in _LITERALS:
            self.i += 1
            return _LITERALS[token]
        if token == "(":
            self.i += 1
            items = []
            while self.toks[self.i] != ")":
                items.append(self.integer(what))
                if self.toks[self.i] == ",":
                    self.i += 1
                elif self.toks[self.i] != ")":
                    raise self.fail(f"expected ',' or ')' in a tuple, found {self.describe(self.i)}",
                                    None, "tuple_separator")
            self.i += 1
            return tuple(items)
        sign = 1
        at = self.i
        if token == "-":
            sign, at = -1, at + 1
        if real and is_number(self.toks[at]) and not self.toks[at].isdigit():
            self.i = at + 1
            return sign * float(self.toks[at])
        return self.integer(what)

    def integer(self, what: str = "") -> int:
        sign = 1
        if self.toks[self.i] == "-":
            sign, self.i = -1, self.i + 1
        token = self.toks[self.i]
        if not (is_number(token) and token.isdigit()):
            found = self.describe(self.i)
            raise self.fail(f"{what} must be an integer or a tuple of integers, found {found}" if what
                            else f"expected an integer, found {found}", None, "integer")
        self.i += 1
        return sign * int(token)

    def check_name(self, index: int) -> str:
        name = self.toks[index]
        if keyword.iskeyword(name):
            raise self.fail(f"{name!r} is not supported: statements are `name = expression`, "
                            f"built from numbers, names, operators and functions", index, "keyword",
                            name=name)
        if name.startswith("__"):
            raise self.fail(f"names starting with '__' are not allowed: {name!r}", index, "dunder", name=name)
        return name
