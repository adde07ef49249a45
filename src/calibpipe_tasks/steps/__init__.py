"""The steps of the collection: one module per ``calibpipe-tasks`` subcommand.

Each step module defines, at import cost of the standard library only:

``NAME``
    the subcommand (and CWL tool) name, e.g. ``"compute-macobac"``;
``HELP``
    one line for ``calibpipe-tasks --help``;
``add_arguments(parser)``
    adds the step's own options to an :class:`argparse.ArgumentParser`;
``run(args, ctx)``
    does the work; imports heavy libraries inside; registers inputs with
    ``ctx.add_input`` and writes products only through ``ctx.output``.

Heavy imports (numpy, astropy, ctapipe, ...) happen inside ``run`` so that
``calibpipe-tasks <step> --help`` stays fast.
"""

#: subcommand name -> module (relative to this package), in the order ``--help`` lists them
STEP_MODULES = {
    "compute-macobac": "compute_macobac",
    "process-muons": "process_muons",
    "muon-throughput": "muon_throughput",
    "muon-psf": "muon_psf",
}
