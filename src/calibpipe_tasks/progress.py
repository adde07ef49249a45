"""Progress reporting for long loops: a tqdm bar on an interactive stderr, log lines otherwise."""

import logging
import sys

log = logging.getLogger(__name__)


def progress(iterable, desc, total=None, every=0.1):
    """Iterate over ``iterable`` while reporting progress.

    Parameters
    ----------
    iterable : iterable
        What to iterate over.
    desc : str
        Short description shown with the progress.
    total : int, optional
        Number of items, if ``len(iterable)`` does not give it.
    every : float
        Without a terminal, log a line each time this fraction of ``total`` is done.
    """
    if total is None:
        try:
            total = len(iterable)
        except TypeError:
            total = None
    if sys.stderr.isatty():
        from tqdm import tqdm

        yield from tqdm(iterable, desc=desc, total=total, file=sys.stderr)
        return
    step = max(1, int(total * every)) if total else 1000
    n = 0
    for n, item in enumerate(iterable, start=1):
        yield item
        if n % step == 0:
            log.info("%s: %d/%s", desc, n, total if total else "?")
    log.info("%s: done (%d)", desc, n)
