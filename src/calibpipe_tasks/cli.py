"""The ``calibpipe-tasks`` command: one subcommand per calibration step.

Every step shares the contract of ``DESIGN.md`` §3:

* options as flags, or from ``--config FILE.yaml`` holding the same options
  (long option names, with ``-`` or ``_``); flags override the file;
  ``--dump-config`` prints the resolved options as YAML and exits;
* ``--log-level`` and ``--provenance-log`` on every step; products go to
  ``--output-dir`` (default: the working directory, which is CWL's output dir);
* products are written atomically and all together (:mod:`.outputs`);
* expected failures give one line on stderr (a message of several lines, e.g.
  from astropy or ctapipe, is folded into one) and exit 2, 3 or 100
  (:mod:`.errors`);
* a provenance JSON record is written for every successful run.
"""

import argparse
import importlib
import io
import logging
import os
import re
import sys
from pathlib import Path

from . import __version__
from .errors import EXIT_USAGE, StepError, UsageError, one_line
from .outputs import OutputSet, check_writable_directory, sha256_of, write_bytes_atomic
from .steps import STEP_MODULES

log = logging.getLogger("calibpipe_tasks")
#: loggers of libraries that log set-up details at INFO (alembic: its plugins and migrations)
NOISY_LOGGERS = ("alembic",)

PROG = "calibpipe-tasks"
COMMON_DESTS = {"config", "dump_config", "log_level", "provenance_log", "output_dir", "help"}


class OneLineArgumentParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr and exit code 2."""

    def error(self, message):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {one_line(message, None)} (see --help)\n")


class StepContext:
    """What a step's ``run`` gets besides its arguments.

    Attributes
    ----------
    name : str
        The step name.
    output_dir : pathlib.Path
        Where the products go.
    outputs : OutputSet
        The step's products; use :meth:`output` to get a path to write to.
    inputs : list of (Path, str)
        Input files registered with :meth:`add_input`, with their role.
    input_digests : dict
        sha256 of inputs already hashed by :meth:`input_sha256` (the provenance record
        reuses them).
    """

    def __init__(self, name, output_dir):
        self.name = name
        self.output_dir = Path(output_dir)
        self.outputs = OutputSet(self.output_dir, owner=name)
        self.inputs = []
        self.input_digests = {}
        self.extra_provenance = {}

    def add_input(self, path, role=None):
        """Register an input file for provenance; exit 2 if it does not exist.

        Returns the path as :class:`pathlib.Path`.
        """
        path = Path(path)
        if not path.exists():
            raise UsageError(f"{path}: input file does not exist")
        if not path.is_file():
            raise UsageError(f"{path}: input is not a regular file")
        self.inputs.append((path, role))
        return path

    def input_sha256(self, path):
        """sha256 of the input ``path``, read once per step run (products and provenance)."""
        path = Path(path)
        if path not in self.input_digests:
            self.input_digests[path] = sha256_of(path)
        return self.input_digests[path]

    def add_inputs(self, paths, role=None):
        """Register several input files (:meth:`add_input`); exit 2 if one is given twice."""
        paths = [self.add_input(p, role) for p in paths]
        if len({p.resolve() for p in paths}) != len(paths):
            raise UsageError("the same input file is given twice")
        return paths

    def output(self, basename):
        """Temporary path to write the product ``basename`` to (committed on success)."""
        return self.outputs.path(basename)

    def output_directory(self, name):
        """Temporary directory to fill as the product directory ``name`` (committed on success)."""
        return self.outputs.subdirectory(name)


def _load_step(name):
    return importlib.import_module(f".steps.{STEP_MODULES[name]}", __package__)


def _read_config(path):
    from ruamel.yaml import YAML, YAMLError

    path = Path(path)
    if not path.is_file():
        raise UsageError(f"{path}: configuration file does not exist")
    try:
        with open(path) as f:
            data = YAML(typ="safe", pure=True).load(f)
    except YAMLError as err:
        problem = str(err).splitlines()[0] if str(err) else "invalid YAML"
        raise UsageError(f"{path}: not a valid YAML configuration ({problem})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UsageError(f"{path}: configuration must be a mapping of option names to values")
    return {str(k).replace("-", "_"): v for k, v in data.items()}


def _step_actions(parser):
    return [a for a in parser._actions if a.dest not in COMMON_DESTS]


def _apply_config(parser, config, path):
    """Make the values of a configuration file the defaults of ``parser``'s options."""
    actions = {a.dest: a for a in _step_actions(parser)}
    for key, value in config.items():
        if key not in actions:
            known = ", ".join(sorted(k.replace("_", "-") for k in actions))
            raise UsageError(f"{path}: unknown option {key.replace('_', '-')!r} (known: {known})")
        action = actions[key]
        if value is not None and action.type is not None and not isinstance(value, bool):
            try:
                if isinstance(value, list):
                    value = [action.type(v) for v in value]
                else:
                    value = action.type(value if not isinstance(value, int | float) else str(value))
            except (TypeError, ValueError, argparse.ArgumentTypeError) as err:
                raise UsageError(f"{path}: option {key.replace('_', '-')}: {err}") from None
        if action.choices is not None and value is not None:
            values = value if isinstance(value, list) else [value]
            bad = [v for v in values if v not in action.choices]
            if bad:
                raise UsageError(
                    f"{path}: option {key.replace('_', '-')}: invalid choice {bad[0]!r}"
                )
        action.default = value
        action.required = False


def _dump_config(parser, args):
    from ruamel.yaml import YAML

    values = {}
    for action in _step_actions(parser):
        value = getattr(args, action.dest, None)
        if isinstance(value, Path):
            value = str(value)
        elif isinstance(value, list):
            value = [str(v) if isinstance(v, Path) else v for v in value]
        values[action.dest.replace("_", "-")] = value
    stream = io.StringIO()
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.dump(values, stream)
    sys.stdout.write(stream.getvalue())


def _add_common_arguments(parser, step_name):
    group = parser.add_argument_group("common options (every step)")
    group.add_argument(
        "--config",
        type=Path,
        metavar="FILE.yaml",
        help="YAML file with options of this step (flags override it)",
    )
    group.add_argument(
        "--dump-config", action="store_true", help="print the resolved options as YAML and exit"
    )
    group.add_argument(
        "--log-level",
        default="INFO",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="logging level",
    )
    group.add_argument(
        "--provenance-log",
        default=f"{step_name}.provenance.json",
        metavar="NAME",
        help="basename of the provenance record written to the output directory",
    )
    group.add_argument(
        "--output-dir",
        type=Path,
        default=Path("."),
        help="directory for the products (default: the working directory)",
    )


def build_parser(step_name):
    """The argument parser of one step."""
    module = _load_step(step_name)
    parser = OneLineArgumentParser(
        prog=f"{PROG} {step_name}",
        description=(module.__doc__ or module.HELP).strip(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    module.add_arguments(parser)
    _add_common_arguments(parser, step_name)
    return module, parser


def _top_level_help():
    lines = [
        f"usage: {PROG} [--version] <step> [options]",
        "",
        "CTAO calibration pipeline steps (CWL task collection). Steps:",
        "",
    ]
    width = max(len(n) for n in STEP_MODULES)
    for name in STEP_MODULES:
        lines.append(f"  {name:<{width}}  {_load_step(name).HELP}")
    lines += [
        "",
        f"'{PROG} <step> --help' describes a step. Exit codes: 0 success, 2 bad usage,",
        "3 invalid input data, 100 temporary failure (worth retrying).",
    ]
    return "\n".join(lines) + "\n"


def _configure_logging(level):
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # third-party libraries whose INFO lines are noise in a step's log (shown with DEBUG)
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if level == "DEBUG" else logging.WARNING)


_URL_PASSWORD = re.compile(r"(://[^/:@\s]+:)[^@/\s]+@")


def mask_secrets(text):
    """Hide the password of a ``scheme://user:password@host`` URL (for provenance and logs)."""
    return _URL_PASSWORD.sub(r"\1***@", str(text))


def run_step(step_name, argv):
    """Parse ``argv`` for ``step_name``, run it and return the exit code."""
    from .provenance import build_record, dumps, utc_now

    module, parser = build_parser(step_name)
    prefix = f"{PROG} {step_name}: error:"
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--config", type=Path)
    known, _ = pre.parse_known_args(argv)
    try:
        if known.config is not None:
            _apply_config(parser, _read_config(known.config), known.config)
    except StepError as err:
        print(f"{prefix} {one_line(err, None)}", file=sys.stderr)
        return err.exit_code
    args = parser.parse_args(argv)
    if args.dump_config:
        _dump_config(parser, args)
        return 0
    _configure_logging(args.log_level)

    ctx = StepContext(step_name, args.output_dir)
    start = utc_now()
    try:
        check_writable_directory(args.output_dir)
        if os.sep in args.provenance_log:
            raise UsageError(f"--provenance-log must be a basename: {args.provenance_log}")
        module.run(args, ctx)
        products = ctx.outputs.commit()
    except StepError as err:
        ctx.outputs.discard()
        print(f"{prefix} {one_line(err, None)}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        ctx.outputs.discard()
        print(f"{prefix} interrupted", file=sys.stderr)
        return 130
    except BaseException:
        ctx.outputs.discard()
        raise
    parameters = {k: v for k, v in vars(args).items() if k not in ("dump_config",)}
    parameters.update(ctx.extra_provenance)
    record = build_record(
        step_name,
        [PROG, step_name, *map(mask_secrets, argv)],
        parameters,
        ctx.inputs,
        products,
        start,
        utc_now(),
        input_digests=ctx.input_digests,
    )
    write_bytes_atomic(Path(args.output_dir) / args.provenance_log, dumps(record))
    for path in products:
        log.info("wrote %s", path)
    return 0


def main(argv=None):
    """Entry point of ``calibpipe-tasks``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        sys.stdout.write(_top_level_help())
        return 0 if argv else EXIT_USAGE
    if argv[0] == "--version":
        print(f"{PROG} {__version__}")
        return 0
    step_name = argv[0]
    if step_name not in STEP_MODULES:
        print(f"{PROG}: error: unknown step {step_name!r} (see '{PROG} --help')", file=sys.stderr)
        return EXIT_USAGE
    return run_step(step_name, argv[1:])


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
