"""Errors that a step reports with one line and a documented exit code.

Every expected failure of a step is one of these exceptions. The command line
(:mod:`calibpipe_tasks.cli`) turns it into one line on stderr and the exit code
below; CWL tools declare the same codes (``temporaryFailCodes: [100]``,
``permanentFailCodes: [2, 3]``).

=====  =====================================================================
code   meaning
=====  =====================================================================
0      success
2      bad arguments or usage (:class:`UsageError`)
3      invalid or unusable input data, permanent (:class:`InputDataError`)
100    temporary failure worth retrying: network, service busy
       (:class:`TemporaryFailure`)
=====  =====================================================================
"""

EXIT_SUCCESS = 0
EXIT_USAGE = 2
EXIT_INPUT = 3
EXIT_TEMPORARY = 100


class StepError(Exception):
    """Base class of expected step failures; ``exit_code`` says which."""

    exit_code = 1


class UsageError(StepError):
    """Bad arguments, options or configuration (exit code 2)."""

    exit_code = EXIT_USAGE


class InputDataError(StepError):
    """Invalid or unusable input data; retrying will not help (exit code 3).

    Parameters
    ----------
    path : str or os.PathLike or None
        The file the problem is in; it is named first in the message.
    message : str
        What is wrong, in one line.
    """

    exit_code = EXIT_INPUT

    def __init__(self, path, message):
        self.path = None if path is None else str(path)
        self.message = message
        super().__init__(f"{self.path}: {message}" if self.path else message)


class TemporaryFailure(StepError):
    """A failure that may go away when retried: network, service busy (exit 100)."""

    exit_code = EXIT_TEMPORARY


#: longest message part kept from a library's error text
MAX_DETAIL = 300


def one_line(text, limit=MAX_DETAIL):
    """``text`` (an error message, possibly of many lines) as one line.

    Lines are stripped and joined with ``"; "`` (astropy and ctapipe put the
    cause on a second or third line); a long result is cut to ``limit``
    characters ending in ``...``.
    """
    parts = [" ".join(line.split()) for line in str(text).splitlines()]
    joined = "; ".join(p for p in parts if p)
    if limit is not None and len(joined) > limit:
        joined = joined[: limit - 3].rstrip() + "..."
    return joined
