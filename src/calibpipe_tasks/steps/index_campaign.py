"""Index a molecular-atmosphere campaign: every night delivered or failed, with its reason.

Gathers the products of a campaign's nights (``cwl/workflows/molecular-atmosphere-campaign.cwl``):
the plan of ``plan-campaign``, each scheduled night's exchange manifest, its exchange files
and its ``validate-exchange`` report, and (optionally) the provenance records of the
steps. Each manifest is matched to its night by its validity window, each report to its
manifest by the manifest's sha256, each exchange file to the manifest entry of the same
name and sha256; the provenance records of a night are the chain that links its
manifest back to its meteorological files (outputs to inputs by sha256).

Writes ``campaign_index.json`` (schema ``molecular-atmosphere-campaign-index``: per night
the status ``delivered`` or ``failed``, the reason, the window, the product id, validity
and every exchange file with its sha256), ``campaign_index.ecsv`` (a row per night) and,
per delivered night, the directory ``night_<date>/`` holding its complete exchange set,
manifest, validation report and provenance records. Run times are not in the index (it
is identical between re-runs); this step's provenance record lists them per night.

Exit codes: 0 success (also when some nights failed: the index says which); 2 bad usage;
3 inputs that do not belong together (a manifest of no night of the plan, two manifests
for one night, a report of no given manifest, an exchange file missing or with another
checksum than its manifest says, a plan of another kind).
"""

NAME = "index-campaign"
HELP = "index of a molecular-atmosphere campaign: each night's exchange set or its failure"
INDEX_FILENAME = "campaign_index.json"
TABLE_FILENAME = "campaign_index.ecsv"
INDEX_VERSION = "1.0.0"
#: tolerance [s] between a manifest's validity start and its night's window start
WINDOW_MATCH_S = 1


def add_arguments(parser):
    parser.add_argument("--plan", required=True, metavar="FILE", help="campaign_plan.json")
    parser.add_argument(
        "--manifests", nargs="*", default=[], metavar="FILE", help="the nights' exchange manifests"
    )
    parser.add_argument(
        "--reports",
        nargs="*",
        default=[],
        metavar="FILE",
        help="the nights' validate-exchange reports (exchange_validation.json)",
    )
    parser.add_argument(
        "--exchange-files",
        nargs="*",
        default=[],
        metavar="FILE",
        help="the nights' exchange files (any order; matched to the manifests by sha256)",
    )
    parser.add_argument(
        "--provenance",
        nargs="*",
        default=[],
        metavar="FILE",
        help="provenance records of the nights' steps (copied into each night's directory)",
    )


def _load_json(path, what):
    import json

    from ..errors import InputDataError

    try:
        data = json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputDataError(path, f"not a JSON {what} ({err})") from None
    if not isinstance(data, dict):
        raise InputDataError(path, f"not a JSON {what} (not an object)")
    return data


def _seconds(text):
    import numpy as np

    return np.datetime64(str(text).rstrip("Z"), "s")


def _check_plan(plan, path):
    from ..errors import InputDataError

    if plan.get("product") != "molecular-atmosphere-campaign-plan" or "nights" not in plan:
        raise InputDataError(path, "not a campaign plan of plan-campaign")


def _match_manifests(nights, manifests):
    """``{date: (path, manifest)}`` by validity start == window start."""
    import numpy as np

    from ..atmosphere.campaign import STATUS_SCHEDULED
    from ..errors import InputDataError

    starts = {
        n["date"]: _seconds(n["window_start_utc"])
        for n in nights
        if n["status"] == STATUS_SCHEDULED
    }
    matched = {}
    for path, manifest in manifests:
        try:
            start = _seconds(manifest["validity"]["start_utc"])
        except (KeyError, TypeError, ValueError):
            raise InputDataError(path, "exchange manifest without a validity start") from None
        dates = [
            d
            for d, s in starts.items()
            if abs(int((start - s) / np.timedelta64(1, "s"))) <= WINDOW_MATCH_S
        ]
        if not dates:
            raise InputDataError(
                path,
                f"exchange manifest valid from {start}Z belongs to no scheduled night of the plan",
            )
        if dates[0] in matched:
            raise InputDataError(
                path,
                f"a second exchange manifest for the night of {dates[0]} ({matched[dates[0]][0]})",
            )
        matched[dates[0]] = (path, manifest)
    return matched


def _chain(products, records):
    """The provenance records linking ``products`` (sha256s) back to their first inputs.

    A file made identically for several nights (the same reference model, the same
    12-MACOBAC) has several producers: the one that also made the most of the consumer's
    other inputs is taken (the selection JSON and the reference model of one
    select-reference-model run belong together).
    """
    producers = {}
    for record in records:
        for out in record.get("outputs", []):
            producers.setdefault(out.get("sha256"), []).append(record)
    chain, seen = [], set()
    todo = [(sha, set(products)) for sha in products]
    while todo:
        sha, siblings = todo.pop(0)
        candidates = producers.get(sha, [])
        if not candidates:
            continue
        record = max(
            candidates,
            key=lambda r: len(siblings & {o.get("sha256") for o in r.get("outputs", [])}),
        )
        if id(record) in seen:
            continue
        seen.add(id(record))
        chain.append(record)
        inputs = {i.get("sha256") for i in record.get("inputs", [])}
        # an input passed through unchanged (the reference model copied) is no link
        passed = inputs & {o.get("sha256") for o in record.get("outputs", [])}
        todo.extend((i, inputs) for i in sorted(inputs - passed))
    return chain


def _write_table(entries, path):
    from astropy.table import Table

    table = Table(
        {
            "date": [e["date"] for e in entries],
            "status": [e["status"] for e in entries],
            "product_id": [e.get("product_id", "") for e in entries],
            "validity_start": [e.get("validity", {}).get("start_utc", "") for e in entries],
            "validity_end": [e.get("validity", {}).get("end_utc", "") for e in entries],
            "n_meteo_times": [e["n_times"] for e in entries],
            "reason": [e["reason"] or "" for e in entries],
        }
    )
    descriptions = {
        "date": "the night (evening date, YYYY-MM-DD)",
        "status": "delivered or failed",
        "product_id": "identifier of the night's SimPipe exchange set (delivered nights)",
        "validity_start": "start of the exchange set's validity, UTC",
        "validity_end": "end of the exchange set's validity, UTC",
        "n_meteo_times": "meteorological analysis times inside the night's window",
        "reason": "why the night failed (empty when delivered)",
    }
    for name, text in descriptions.items():
        table[name].description = text
    table.meta["product"] = "molecular-atmosphere-campaign-index"
    table.write(path, format="ascii.ecsv", overwrite=True)


def run(args, ctx):
    import json
    import shutil

    from jsonschema import Draft202012Validator

    from ..atmosphere.campaign import STATUS_DELIVERED, index_entry, step_times
    from ..errors import InputDataError
    from ..io import simpipe_schemas
    from ..outputs import sha256_of

    plan_path = ctx.add_input(args.plan, role="plan")
    plan = _load_json(plan_path, "campaign plan")
    _check_plan(plan, plan_path)
    manifest_paths = ctx.add_inputs(args.manifests, role="manifest")
    report_paths = ctx.add_inputs(args.reports, role="validation_report")
    exchange_paths = [ctx.add_input(p, role="exchange_file") for p in args.exchange_files]
    provenance_paths = [ctx.add_input(p, role="provenance") for p in args.provenance]

    manifests = [(p, _load_json(p, "exchange manifest")) for p in manifest_paths]
    by_date = _match_manifests(plan["nights"], manifests)
    manifest_sha = {str(p): sha256_of(p) for p in manifest_paths}
    reports = {}
    for path in report_paths:
        report = _load_json(path, "validation report")
        sha = (report.get("manifest") or {}).get("sha256")
        if sha not in manifest_sha.values():
            raise InputDataError(path, "validation report of none of the given manifests")
        reports[sha] = (path, report, sha256_of(path))
    exchange = {(p.name, sha256_of(p)): p for p in exchange_paths}
    records = [_load_json(p, "provenance record") for p in provenance_paths]
    record_paths = {id(r): p for r, p in zip(records, provenance_paths, strict=True)}

    entries, times = [], {}
    for night in plan["nights"]:
        date = night["date"]
        if date not in by_date:
            entries.append(index_entry(night))
            continue
        mpath, manifest = by_date[date]
        sha = manifest_sha[str(mpath)]
        rpath, report, rsha = reports.get(sha, (None, None, None))
        chain = _chain([sha] + ([rsha] if rsha else []), records)
        entry = index_entry(night, manifest, report, f"night_{date}", [r["step"] for r in chain])
        if entry["status"] == STATUS_DELIVERED:
            directory = ctx.output_directory(entry["directory"])
            for item in manifest["files"]:
                source = exchange.get((item["name"], item["sha256"]))
                if source is None:
                    raise InputDataError(
                        mpath,
                        f"exchange file {item['name']} (sha256 {item['sha256'][:12]}...) is not "
                        "among the --exchange-files",
                    )
                shutil.copyfile(source, directory / item["name"])
            shutil.copyfile(mpath, directory / mpath.name)
            shutil.copyfile(rpath, directory / rpath.name)
            for record in chain:  # the records as the steps wrote them
                shutil.copyfile(
                    record_paths[id(record)], directory / f"{record['step']}.provenance.json"
                )
            entry["manifest"] = {"name": mpath.name, "sha256": sha}
            entry["validation_report"] = {"name": rpath.name, "sha256": rsha}
            step_s, span_s = step_times(chain)
            times[date] = {"step_seconds": step_s, "span_seconds": span_s, "steps": len(chain)}
        entries.append(entry)

    delivered = sum(e["status"] == STATUS_DELIVERED for e in entries)
    dates = [n["date"] for n in plan["nights"]]
    index = {
        "index_version": INDEX_VERSION,
        "product": "molecular-atmosphere-campaign-index",
        "campaign_id": f"{plan['site']['name'].lower()}-{min(dates)}-{max(dates)}",
        "site": plan["site"],
        "n_nights": len(entries),
        "n_delivered": delivered,
        "n_failed": len(entries) - delivered,
        "plan": {"name": plan_path.name, "sha256": sha256_of(plan_path)},
        "nights": entries,
    }
    # the index is checked against its published schema before it is written
    validator = Draft202012Validator(simpipe_schemas.load_schema(simpipe_schemas.CAMPAIGN_INDEX))
    problem = next(iter(validator.iter_errors(index)), None)
    if problem is not None:  # pragma: no cover - a bug of this step, not of its inputs
        raise RuntimeError(f"campaign index violates its schema: {problem.message}")
    with open(ctx.output(INDEX_FILENAME), "w") as f:
        f.write(json.dumps(index, indent=2) + "\n")
    _write_table(entries, ctx.output(TABLE_FILENAME))
    ctx.extra_provenance.update(n_nights=len(entries), n_delivered=delivered, night_times=times)
