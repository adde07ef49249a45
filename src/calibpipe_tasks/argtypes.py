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
