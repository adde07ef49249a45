"""calibpipe-tasks: CTAO calibration pipeline steps as a CWL task collection."""

# The single source of the version (pyproject reads it; CWL DockerRequirement hints follow it).
# A literal rather than importlib.metadata keeps `calibpipe-tasks <step> --help` fast.
__version__ = "0.1.0"

__all__ = ["__version__"]
