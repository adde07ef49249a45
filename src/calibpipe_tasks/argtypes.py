"""argparse types shared by the steps (standard library only: ``--help`` stays fast).

Each raises :class:`argparse.ArgumentTypeError`, which the command line turns into
one line and exit code 2.
"""

import argparse
import datetime


def iso_date(text):
    """A calendar date ``YYYY-MM-DD``."""
    try:
        return datetime.date.fromisoformat(str(text).strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def iso_date_or_month(text):
    """A date ``YYYY-MM-DD``, or a month ``YYYY-MM`` meaning its last day."""
    text = str(text).strip()
    if len(text) == 7:
        try:
            first = datetime.date.fromisoformat(text + "-01")
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a month (YYYY-MM): {text!r}") from None
        next_month = (first.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
        return next_month - datetime.timedelta(days=1)
    return iso_date(text)


def utc_datetime(text):
    """A UTC date and time ``YYYY-MM-DDTHH:MM[:SS][Z or offset]``, returned naive in UTC."""
    text = str(text).strip()
    try:
        value = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a UTC date-time (YYYY-MM-DDTHH:MM[:SS]): {text!r}"
        ) from None
    if value.tzinfo is not None:
        value = value.astimezone(datetime.UTC).replace(tzinfo=None)
    return value


def _number(text, kind):
    try:
        return kind(str(text))
    except ValueError:
        what = "an integer" if kind is int else "a number"
        raise argparse.ArgumentTypeError(f"not {what}: {text!r}") from None


def non_negative_int(text):
    """An integer >= 0."""
    value = _number(text, int)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {value}")
    return value


def non_negative_float(text):
    """A number >= 0."""
    value = _number(text, float)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {value}")
    return value


def positive_float(text):
    """A number > 0."""
    value = _number(text, float)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive: {text!r}")
    return value


def positive_int(text):
    """An integer >= 1."""
    value = _number(text, int)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {value}")
    return value


def file_basename(text):
    """A plain file name (no directory part), for an output a step writes."""
    text = str(text)
    if not text or text in (".", "..") or "/" in text or "\\" in text:
        raise argparse.ArgumentTypeError(f"must be a file name without directory: {text!r}")
    return text


def http_url(text):
    """An ``http://`` or ``https://`` URL with a host (a service's base URL)."""
    from urllib.parse import urlsplit

    text = str(text).strip()
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a URL: {text!r}") from None
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or any(c.isspace() for c in text)
    ):
        raise argparse.ArgumentTypeError(f"not an http(s) URL with a host: {text!r}")
    return text


#: names an expression may use besides its context: what ctapipe's ExpressionEngine
#: passes as globals (``ctapipe.core.expression_engine.ALLOWED_GLOBALS``); Python's
#: builtins are available too
EXPRESSION_GLOBALS = frozenset(
    ("u", "np", "sin", "cos", "tan", "arctan2", "log", "log10", "exp", "sqrt")
)


def check_expression(expression, names=None):
    """Compile ``expression`` as ctapipe's ``ExpressionEngine`` does (``compile(..., "eval")``).

    Parameters
    ----------
    expression : str
    names : iterable of str, optional
        The names the context provides (e.g. ``dl1_params``); if given, every
        free name must be one of them, a ctapipe global or a Python builtin.

    Raises
    ------
    argparse.ArgumentTypeError
        One line: the expression and what is wrong with it.
    """
    import ast
    import builtins

    try:
        tree = ast.parse(expression, mode="eval")
        compile(tree, "<expression>", mode="eval")
    except SyntaxError as err:
        raise argparse.ArgumentTypeError(
            f"expression {expression!r} does not compile ({err.msg})"
        ) from None
    except (ValueError, TypeError) as err:  # e.g. null bytes
        raise argparse.ArgumentTypeError(
            f"expression {expression!r} does not compile ({err})"
        ) from None
    if "lambda" in expression:
        raise argparse.ArgumentTypeError(
            f"expression {expression!r}: give the expression itself, not a lambda (ctapipe)"
        )
    if names is not None:
        bound = {
            n.id
            for n in ast.walk(tree)
            if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)
        }
        free = sorted(
            {
                n.id
                for n in ast.walk(tree)
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
            }
            - bound
            - EXPRESSION_GLOBALS
            - set(names)
            - set(dir(builtins))
        )
        if free:
            known = ", ".join(sorted(names))
            raise argparse.ArgumentTypeError(
                f"expression {expression!r} uses unknown name(s) {', '.join(free)} "
                f"(known: {known}, np, u)"
            )
    return expression


def expression(text):
    """A ctapipe ``QualityQuery`` expression that compiles (names checked when evaluated)."""
    return check_expression(str(text).strip())


def pattern_and(value_type):
    """An argparse type for ``PATTERN=VALUE`` returning ``(pattern, value_type(VALUE))``."""

    def parse(text):
        pattern, sep, value = str(text).partition("=")
        if not sep or not pattern.strip() or not value.strip():
            raise argparse.ArgumentTypeError(f"expected PATTERN=VALUE: {text!r}")
        return pattern.strip(), value_type(value.strip())

    parse.__name__ = f"pattern_and_{getattr(value_type, '__name__', 'value')}"
    return parse


def expression_with(names):
    """An argparse type: an expression whose free names are among ``names`` (and np, u)."""

    def parse(text):
        return check_expression(str(text).strip(), names)

    parse.__name__ = "expression"
    return parse


def pattern_expression(text):
    """``PATTERN=EXPR`` with an expression that compiles; returned as given (a string)."""
    pattern_and(expression)(text)
    return str(text).strip()
