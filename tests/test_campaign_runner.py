"""The campaign runner's reading of Toil's logs and its summary (make campaign)."""

import json

from calibpipe_tasks.campaign_runner import (
    finished_steps,
    parse_plan_log,
    summary_table,
    toil_command,
)

PLAN_LOG = """\
2026-12-02 22:56:24,865 INFO calibpipe_tasks.progress: reading the files' time axes: done (8)
2026-12-02 22:56:26,300 INFO calibpipe_tasks.steps.plan_campaign: night 2024-01-15: scheduled (2 meteorological times)
2026-12-02 22:56:26,300 INFO calibpipe_tasks.steps.plan_campaign: night 2024-01-16: no data: no meteorological data in the night's window X to Y (the files cover A to B)
2026-12-02 22:56:26,300 INFO calibpipe_tasks.steps.plan_campaign: night 2024-01-17: scheduled (2 meteorological times)
"""  # noqa: E501


def test_plan_log_gives_the_scatter_order_and_the_nights_without_data():
    scheduled, no_data = parse_plan_log(PLAN_LOG)
    assert scheduled == ["2024-01-15", "2024-01-17"]
    assert no_data == {
        "2024-01-16": "no meteorological data in the night's window X to Y (the files cover A to B)"
    }


def test_finished_steps_by_scatter_index_from_toils_log_names(tmp_path):
    """The names Toil 9 gives the logs of --writeLogs (dashes doubled, scatter index)."""
    for name in [
        "molecular--atmosphere--campaign.cwl.0.ingest--meteo.cwl.stderr_000.log",
        "molecular--atmosphere--campaign.cwl.0.create--mdp.cwl.stderr_000.log",
        "molecular--atmosphere--campaign.cwl.1.ingest--meteo.cwl.stderr_000.log",
        "CWLJob_molecular--atmosphere--campaign.cwl.1.create--mdp.cwl_000.log",  # worker log
        "molecular--atmosphere--campaign.cwl.plan_campaign.plan--campaign.cwl.stderr_000.log",
    ]:
        (tmp_path / name).write_text("")
    assert finished_steps(tmp_path) == {0: {"ingest-meteo", "create-mdp"}, 1: {"ingest-meteo"}}


def test_summary_table_times_from_the_nights_provenance(tmp_path):
    night = tmp_path / "night_2024-01-15"
    night.mkdir()
    for step, (t0, t1) in {
        "ingest-meteo": ("00:00:00", "00:00:02"),
        "create-mdp": ("00:00:10", "00:00:13"),
    }.items():  # noqa: E501
        record = {
            "step": step,
            "start_time_utc": f"2024-01-16T{t0}.000Z",
            "end_time_utc": f"2024-01-16T{t1}.000Z",
        }  # noqa: E501
        (night / f"{step}.provenance.json").write_text(json.dumps(record))
    index = {
        "n_nights": 2,
        "n_delivered": 1,
        "n_failed": 1,
        "nights": [
            {
                "date": "2024-01-15",
                "status": "delivered",
                "directory": night.name,
                "steps": ["a", "b"],
            },  # noqa: E501
            {"date": "2024-01-16", "status": "failed", "reason": "no meteorological data"},
        ],
    }
    lines = summary_table(index, tmp_path, elapsed_s=1800)
    assert lines[1].split() == ["2024-01-15", "delivered", "2", "5.0", "13.0"]
    assert lines[2].split()[:3] == ["2024-01-16", "failed", "0"]
    assert lines[2].endswith("no meteorological data")
    assert lines[-1] == "1 of 2 nights delivered, 1 failed, in 1800 s (2 nights/hour)"


def test_toil_command_writes_every_jobs_log_one_job_per_step(tmp_path):
    cmd = toil_command(
        tmp_path / "wf.cwl", tmp_path / "job.yml", tmp_path / "out", tmp_path, "slurm", 2
    )
    assert cmd[:3] == ["toil-cwl-runner", "--batchSystem", "slurm"]
    for flag, value in [("--writeLogs", str(tmp_path / "logs")), ("--writeLogsFromAllJobs", "true"),
                        ("--disableChaining", "true"), ("--maxCores", "2")]:  # fmt: skip
        assert cmd[cmd.index(flag) + 1] == value
    assert cmd[-2:] == [str(tmp_path / "wf.cwl"), str(tmp_path / "job.yml")]
