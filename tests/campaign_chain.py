"""The molecular-atmosphere chain of one night run step by step, as a campaign runs each night.

What a campaign's night must equal (tests/cwl/test_campaign_workflow.py, tests/slurm).
"""

import os
import subprocess
from pathlib import Path

CO2 = Path(__file__).resolve().parent / "data" / "scripps_monthly_in_situ_co2_mlo.csv"


def single_night_chain(out, meteo_files, date, site="North"):
    """The molecular-atmosphere chain of one night, step by step (the campaign's options);
    returns the manifest of the exchange set written into ``out``.

    Each step its own process in an engine's clean environment (only PATH, HOME and TMPDIR):
    steps run one after the other in one Python process give fit parameters that differ in
    the last bits (1e-9 relative) from separate processes, which is what engines run.
    """
    env = {"PATH": os.environ["PATH"], "HOME": str(out), "TMPDIR": str(out)}

    def step(*args):
        cmd = ["calibpipe-tasks", *map(str, args), "--log-level", "WARNING"]
        result = subprocess.run(cmd, capture_output=True, text=True, cwd=out, env=env)
        assert result.returncode == 0, result.stderr

    step("ingest-meteo", "--meteo-files", *meteo_files, "--site", site, "--date", date)
    step("compute-macobac", "--co2-file", CO2, "--until", date)
    step("create-mdp", "--meteo", out / "meteo.ecsv")
    step("select-reference-model", "--mdp", out / "mdp.ecsv")
    step(
        "create-atmospheric-model", "--meteo", out / "meteo.ecsv", "--macobac",
        out / "macobac.ecsv", "--reference-model", out / "reference_model.ecsv",
        "--selection", out / "reference_selection.json",
    )  # fmt: skip
    (manifest,) = out.glob("atmosphere_exchange_*.json")
    step("validate-exchange", "--manifest", manifest)
    return manifest
