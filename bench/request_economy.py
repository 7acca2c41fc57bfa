"""Request economy: what each API spider asks its upstreams for, next to the least a client could ask for the same.

Every spider runs as the scheduler runs it (``python -m ailabor.cli crawl
SOURCE`` in a child process) against upstreams on 127.0.0.1, and requests are
counted from the server's hits, by kind. Quotas are what the spiders must
live within: Congress.gov's 5,000 requests an hour, Open States' 250 a day
(20 of them kept for the hearings spider), so every figure is reported
against them as well as against "needed".

- congress and openstates (bench/bill_economy.py): ailabor/testing/emulators serves
  Congress.gov, govinfo (search, BILLSTATUS files and ZIPs, texts), Open
  States and the legislatures' text pages from a synthetic world at real
  scale (bench/synthetic.py: 34,300 federal bills, 85,000 state bills at
  scale 1.0). Measured: the federal backfill, hour by hour, and what
  screening every bill on Congress.gov would have cost instead; the Open
  States backfill, quota day by quota day; a week of daily runs while the
  upstreams move; a run with nothing changed; how soon each relevant new bill
  was stored as relevant; and what stemming adds to the Open States searches
  (bench/stemming.py).
- federal_register and regulations_gov: the synthetic upstreams of
  bench/upstreams.py, three runs each (a backfill, a refresh with nothing
  changed, a refresh after a day of changes), as before.

"Needed" is worked out from the upstream's data, never from what the spider
did: pages of results that hold the changes, one detail per changed item and
one per changed sub-resource where the API has no other way (the docstrings
of bill_economy.py and upstreams.py say exactly what each counts).

    python bench/request_economy.py [--sources congress openstates federal_register regulations_gov]
                                    [--scale 1.0] [--days 7]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # not bench/: its site.py would shadow the standard library module

from bench import stemming  # noqa: E402
from bench.bill_economy import (  # noqa: E402
    CONGRESS_RESERVE,
    DAILY,
    HOURLY,
    OPENSTATES_RESERVE,
    Results,
    Run,
    measure,
    summary_of,
)
from bench.upstreams import UPSTREAMS, SyntheticServer, Upstream  # noqa: E402

SOURCES = ("congress", "openstates", "federal_register", "regulations_gov")
BASE_URL_VARS = ("FEDERAL_REGISTER_API_URL", "REGULATIONS_GOV_API_URL")
DISCOVERY_GOAL = 0.95
REFRESH_RATIO = 1.2
FEDERAL_KINDS = ("Congress.gov /congress/current", "Congress.gov bill list pages", "Congress.gov summary pages",
                 "Congress.gov details", "Congress.gov sub-resources", "Congress.gov /titles (screening)",
                 "BILLSTATUS files", "BILLSTATUS ZIPs", "govinfo searches", "texts")
STATE_KINDS = ("searches", "title scans", "re-reads", "/jurisdictions")


# Federal Register and Regulations.gov (bench/upstreams.py) -----------------------------------------------------


def crawl(source: str, server: SyntheticServer, db_file: Path) -> dict:
    """One ``ailabor crawl SOURCE`` in its own process; the requests are the server's hits during it."""
    import db

    db.connect(db_file, create=True).close()
    env = dict(os.environ, AILABOR_DB=str(db_file), DATA_GOV_API_KEY="bench-key", AILABOR_DOWNLOAD_DELAY="0",
               AILABOR_RETRY_BACKOFF="0.05", AILABOR_LOG_LEVEL="WARNING")
    env.update({var: server.url for var in BASE_URL_VARS})
    with server._lock:
        server.hits.clear()
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "ailabor.cli", "crawl", source, "--db", str(db_file)], env=env,
                          cwd=ROOT, capture_output=True, text=True, check=False, timeout=3600)
    seconds = time.perf_counter() - start
    with sqlite3.connect(db_file) as conn:
        row = conn.execute("SELECT status, requests, items, new, updated, errors, message FROM crawl_runs"
                           " WHERE source = ? ORDER BY id DESC LIMIT 1", [source]).fetchone()
    if row is None:
        raise SystemExit(f"{source}: the crawl recorded no run:\n{done.stdout}\n{done.stderr[-3000:]}")
    status, logged, items, new, updated, errors, message = row
    with server._lock:
        hits = list(server.hits)
    return {"hits": len(hits), "kinds": Counter(endpoint(h.path) for h in hits), "status": status,
            "logged": logged, "items": items, "new": new, "updated": updated,
            "errors": errors, "message": message, "seconds": seconds}


def endpoint(path: str) -> str:
    """A request's kind: its path with ids generalised (/documents/*)."""
    parts = path.strip("/").split("/")
    return "/" + "/".join(p if n == 0 or not any(c.isdigit() for c in p) else "*" for n, p in enumerate(parts))


def describe(run: dict) -> str:
    kinds = ", ".join(f"{path} {count}" for path, count in sorted(run["kinds"].items(), key=lambda kv: -kv[1]))
    text = (f"{run['hits']} requests ({kinds}), {run['status']}, {run['items']} items ({run['new']} new, "
            f"{run['updated']} updated), {run['errors']} errors, {run['seconds']:.1f}s")
    return text + (f" [{run['message']}]" if run["message"] and run["status"] != "ok" else "")


def bench_agency(source: str, scale: float, seed: int) -> dict:
    upstream: Upstream = UPSTREAMS[source](scale=scale)
    rng = random.Random(seed)
    server = SyntheticServer(upstream).start()
    result: dict = {"source": source}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            db_file = Path(tmp) / "tracker.db"
            result["needed_backfill"] = upstream.needed_backfill()
            result["backfill_run"] = crawl(source, server, db_file)
            result["backfill"] = result["backfill_run"]["hits"]
            upstream.mark()
            result["idle"] = crawl(source, server, db_file)
            upstream.mark()
            result["day"] = upstream.advance_day(rng)
            result["needed_refresh"] = upstream.needed_refresh()
            result["refresh"] = crawl(source, server, db_file)
    finally:
        server.stop()
    return result


def report_agencies(results: list[dict]) -> list[str]:
    goals = []
    print("| source | backfill: requests / needed | refresh, nothing changed: requests (goal 1) "
          "| daily refresh: requests / needed (goal <= 1.2x) |")
    print("|---|---|---|---|")
    for r in results:
        print(f"| {r['source']} | {r['backfill']} / {r['needed_backfill']} = "
              f"{r['backfill'] / r['needed_backfill']:.2f}x "
              f"| {r['idle']['hits']} | {r['refresh']['hits']} / {r['needed_refresh']} = "
              f"{r['refresh']['hits'] / r['needed_refresh']:.2f}x |")
    print()
    for r in results:
        print(f"{r['source']}:")
        print(f"  backfill: {describe(r['backfill_run'])}")
        print(f"  refresh, nothing changed: {describe(r['idle'])}")
        print(f"  a day of changes: {', '.join(f'{v} {k}' for k, v in r['day'].items())}")
        print(f"  refresh after it: {describe(r['refresh'])}")
    for r in results:
        idle = r["idle"]["hits"]
        goals.append(f"goal refresh with nothing changed costs 1 request: {r['source']} {idle}: "
                     f"{'met' if idle <= 1 else f'NOT met ({idle}x)'}")
    for r in results:
        ratio = r["refresh"]["hits"] / r["needed_refresh"]
        goals.append(f"goal daily refresh within {REFRESH_RATIO}x the pages needed: {r['source']} {ratio:.2f}x: "
                     f"{'met' if ratio <= REFRESH_RATIO else 'NOT met'}")
    return goals


# congress and openstates (bench/bill_economy.py) ------------------------------------------------------------


def ratio(got: int | float, need: int | float) -> str:
    return f"{got:,} / {need:,} = {got / need:.2f}x" if need else f"{got:,} / 0"


def status_of(run: Run) -> str:
    message = run.row.get("message")
    return run.status + (f" ({message})" if message and run.status != "ok" else "")


def details(run: Run) -> dict[str, Any]:
    try:
        return json.loads(run.row.get("details") or "{}")
    except ValueError:
        return {}


def repeated_details(runs: list[Run]) -> int:
    """Bill details asked for more than once over these runs (a bill with nothing new fetched again)."""
    seen = Counter(h.path for run in runs for h in run.hits
                   if h.path.startswith("/bill/") and len(h.path.strip("/").split("/")) == 4)
    return sum(n - 1 for n in seen.values())


def report_federal(r: Results) -> list[str]:
    goals: list[str] = []
    runs = r.fed_backfill
    print("### congress: the federal backfill (first run)")
    print()
    total: Counter[str] = Counter()
    for run in runs:
        total.update(run.kinds)
    print("| requests by kind | made | needed |")
    print("|---|---|---|")
    for kind in FEDERAL_KINDS:
        need = r.fed_backfill_need.get(kind)
        shown = "-" if kind == "texts" else f"{need or 0:,}"
        if kind == "Congress.gov /congress/current":
            shown = "1"
        print(f"| {kind} | {total.get(kind, 0):,} | {shown} |")
    made = sum(run.congress_gov() for run in runs)
    needed = sum(v for k, v in r.fed_backfill_need.items() if k.startswith("Congress.gov")) + 1
    print(f"| **Congress.gov, all** | **{made:,}** | **{needed:,}** |")
    print()
    print(f"  texts: {total.get('texts', 0):,} read (sources.yml texts_per_run, once the rest of the run is done), "
          f"{r.backfill_backlog.get('congress', 0):,} worth reading left for the next runs")
    budget = HOURLY - CONGRESS_RESERVE
    hours = math.ceil(made / budget)
    for run in runs:
        print(f"  {run.label}: {run.congress_gov():,} Congress.gov requests, {run.refused} refused, "
              f"{run.texts():,} texts, {status_of(run)}, {(run.ended - run.started).total_seconds():.0f}s")
    twice = repeated_details(runs)
    if len(runs) > 1 or twice:
        lists = "Congress.gov bill list pages"
        print(f"  a resumed run walks the lists again from where every candidate before was stored "
              f"({total.get(lists, 0) - r.fed_backfill_need.get(lists, 0)} list pages more than one pass); "
              f"{twice:,} bill details were asked for twice")
    screened = sum(int(details(run).get("screened", 0)) for run in runs)
    titles = total.get("Congress.gov /titles (screening)", 0)
    alternative = made - titles + 3 * screened
    print(f"Congress.gov: {made:,} requests = {hours} hour(s) of the key's {HOURLY:,} (less the {CONGRESS_RESERVE} "
          f"kept), over {len(runs)} hourly run(s); needed {needed:,}.")
    print(f"Screening each of the {screened:,} bills whose list title names no AI on Congress.gov instead (detail + "
          f"titles + subjects, 3 requests a bill, not run): {alternative:,} requests = "
          f"{math.ceil(alternative / budget)} hour(s); BILLSTATUS saves {alternative - made:,} Congress.gov requests "
          f"({(alternative - made) / alternative:.0%}) for {total.get('BILLSTATUS ZIPs', 0)} ZIP(s) and "
          f"{total.get('BILLSTATUS files', 0):,} file(s) from govinfo, which need no key.")
    print()
    refused = sum(run.refused for run in runs)
    complete = runs and runs[-1].status == "ok"
    goals.append(f"goal federal backfill within {HOURLY:,} Congress.gov requests an hour: {made:,} requests, "
                 f"{hours} hour(s) over {len(runs)} run(s), {refused} refused: "
                 f"{'met' if complete and not refused else 'NOT met'}")

    print("### congress: a week of daily runs, then one with nothing changed")
    print()
    print("| run | upstream changes that day | Congress.gov: made / needed | details + sub-resources | BILLSTATUS "
          "files + ZIPs: made / needed | govinfo searches: made / needed | texts read (worth reading, left) "
          "| status |")
    print("|---|---|---|---|---|---|---|---|")
    week_made = week_need = 0
    rows = [(f"day {d['day']}", f"{summary_of(d['changes'], 'federal')}, {d['touched']:,} bills re-stamped",
             d["congress"], d["congress_need"], d["backlog"]["congress"]) for d in r.days if "congress" in d]
    if "congress" in r.idle:
        rows.append(("nothing changed", "none", r.idle["congress"], r.idle["congress_need"],
                     r.idle["congress_backlog"]))
    for label, changes, run, need, backlog in rows:
        cg_need = sum(v for k, v in need.items() if k.startswith("Congress.gov"))
        if label.startswith("day"):
            week_made += run.congress_gov()
            week_need += cg_need
        k = run.kinds
        print(f"| {label} | {changes} | {ratio(run.congress_gov(), cg_need)} "
              f"| {k.get('Congress.gov details', 0)} + {k.get('Congress.gov sub-resources', 0)} "
              f"| {ratio(k.get('BILLSTATUS files', 0) + k.get('BILLSTATUS ZIPs', 0), need.get('BILLSTATUS files', 0) + need.get('BILLSTATUS ZIPs', 0))} "  # noqa: E501
              f"| {ratio(k.get('govinfo searches', 0), need.get('govinfo searches', 0))} "
              f"| {run.texts()} ({backlog:,}) | {status_of(run)} |")
    print()
    for label, _, run, need, _ in rows[:1] + rows[-1:]:
        kinds = ", ".join(f"{kind} {n}" for kind, n in run.kinds.most_common())
        needs = ", ".join(f"{kind} {n}" for kind, n in need.most_common() if n)
        print(f"  {label}: made {kinds}; needed {needs}")
    week = [d["congress"] for d in r.days if "congress" in d]
    missing = sum(1 for run in week for h in run.hits if h.path.startswith("/bulkdata/") and h.status == 404)
    files = sum(run.kinds.get("BILLSTATUS files", 0) for run in week)
    print(f"  BILLSTATUS over the week: {files} file requests, {missing} of them answered 404 (bills introduced that "
          "day, not in BILLSTATUS yet, then screened on Congress.gov /titles); the rest screen bills never screened, "
          "or screened before CRS indexed their subjects and re-stamped since (the spider cannot tell whether the "
          "subjects came; the count of needed ones counts only those whose subjects did)")
    stale, given = r.stale_texts
    print(f"  stored bills given a new text version during the week: {given}; of them, with that version not stored "
          f"after the last run: {stale} (a new text alone moves updateDateIncludingText, not the updateDate the "
          "bill list filters on: the text search brings the stored bills whose new text names AI)")
    print("  Each run's window starts where the last began: a simulated day's changes are all stamped seconds after "
          "the previous run, so the spiders' 2-hour overlap would re-read the whole day; the bench moves each "
          "complete run's watermarks past it (bench/bill_economy.py skip_overlap). In production the overlap "
          "re-lists what changed in the 2 hours before the last run.")
    print()
    if week_need:
        goals.append(refresh_goal("congress (Congress.gov, the week)", week_made, week_need))
    if "congress" in r.idle:
        run = r.idle["congress"]
        goals.append(f"goal refresh with nothing changed, in requests: congress {run.congress_gov()} Congress.gov "
                     f"({', '.join(f'{k} {n}' for k, n in run.kinds.most_common() if k.startswith('Congress'))}), "
                     f"{sum(run.kinds.get(k, 0) for k in ('BILLSTATUS files', 'BILLSTATUS ZIPs', 'govinfo searches'))}"
                     f" govinfo API and bulk data, {run.texts()} texts: reported")
    return goals


def refresh_goal(what: str, made: int, needed: int) -> str:
    ratio_ = made / needed
    return (f"goal daily refresh within {REFRESH_RATIO}x the requests needed: {what} {made:,} / {needed:,} = "
            f"{ratio_:.2f}x: {'met' if ratio_ <= REFRESH_RATIO else 'NOT met'}")


def state_cells(run: Run, need: Counter[str]) -> str:
    return " | ".join(ratio(run.kinds.get(kind, 0), need.get(kind, 0)) if kind != "/jurisdictions"
                      else f"{run.kinds.get(kind, 0)} / {need.get(kind, 0)}" for kind in STATE_KINDS)


def report_states(r: Results) -> list[str]:
    goals: list[str] = []
    budget = DAILY - OPENSTATES_RESERVE
    runs = r.state_backfill
    print(f"### openstates: the backfill, one quota day ({DAILY} requests, {OPENSTATES_RESERVE} kept for hearings) "
          "at a time")
    print()
    print("| quota day | searches | title scans | re-reads | /jurisdictions | key requests | texts (no key) "
          f"| within {budget}? | status |")
    print("|---|---|---|---|---|---|---|---|---|")
    for run in runs:
        k = run.kinds
        print(f"| {run.label} | {k.get('searches', 0)} | {k.get('title scans', 0)} | {k.get('re-reads', 0)} "
              f"| {k.get('/jurisdictions', 0)} | {run.key_requests()} | {run.texts()} "
              f"| {'yes' if run.key_requests() <= budget else 'no'} | {status_of(run)} |")
    made = sum(run.key_requests() for run in runs)
    need = sum(r.state_backfill_need.values())
    n = r.state_backfill_need
    days: Counter[str] = Counter()
    for run in runs:
        days.update(run.kinds)
    print(f"| **all days** | {days['searches']} | {days['title scans']} | {days['re-reads']} "
          f"| {days['/jurisdictions']} | {made} | {days['texts']} | - | - |")
    print(f"| needed, one pass over the facts | {n.get('searches', 0)} | {n.get('title scans', 0)} "
          f"| {n.get('re-reads', 0)} | {n.get('/jurisdictions', 0)} | {need} | - | - | - |")
    print()
    print(f"backfill: {made:,} key requests over {len(runs)} quota day(s); needed "
          f"{', '.join(f'{k} {v}' for k, v in r.state_backfill_need.items())} = {need:,} "
          f"({math.ceil(need / budget)} day(s) at {budget} a day). Each later quota day re-reads the bills followed "
          "so far (one request per jurisdiction holding any) and pages each finished search once more; "
          f"{r.backfill_backlog.get('openstates', 0):,} texts worth reading are left after it (300 a run, no key)")
    print()
    goals.append(f"goal Open States backfill inside one day's quota ({budget} after the hearings' "
                 f"{OPENSTATES_RESERVE}): {made:,} requests over {len(runs)} day(s), needed {need:,}: "
                 f"{'met' if len(runs) == 1 and runs[0].status == 'ok' else 'NOT met'}")

    print("### openstates: a week of daily runs, then one with nothing changed")
    print()
    print("| run | searches: made / needed | title scans: made / needed | re-reads: made / needed | /jurisdictions "
          f"| key requests: made / needed | within {budget}? | texts read, no key (worth reading, left) | status |")
    print("|---|---|---|---|---|---|---|---|---|")
    rows = [(f"day {d['day']}", d["openstates"], d["openstates_need"], d["backlog"]["openstates"])
            for d in r.days if "openstates" in d]
    if "openstates" in r.idle:
        rows.append(("nothing changed", r.idle["openstates"], r.idle["openstates_need"],
                     r.idle["openstates_backlog"]))
    week_made = week_need = 0
    worst = (0, "")
    for label, run, need, backlog in rows:
        key, key_need = run.key_requests(), sum(need.values())
        if label.startswith("day"):
            week_made += key
            week_need += key_need
            worst = max(worst, (key, label))
        print(f"| {label} | {state_cells(run, need)} | {ratio(key, key_need)} | {'yes' if key <= budget else 'no'} "
              f"| {run.texts()} ({backlog:,}) | {status_of(run)} |")
    print()
    if r.days and "openstates" in r.days[0]:
        print(f"  a day upstream: {', '.join(f'{v:,} {k}' for k, v in r.plan.day_counts['states'].items())} "
              f"(day 1: {summary_of(r.days[0]['changes'], 'states')})")
        print()
    if week_need:
        goals.append(f"goal daily Open States refresh within {budget} requests: the most in a day {worst[0]} "
                     f"({worst[1]}) over {len(r.days)} days: {'met' if worst[0] <= budget else 'NOT met'}")
        goals.append(refresh_goal("openstates (the week)", week_made, week_need))
    if "openstates" in r.idle:
        run = r.idle["openstates"]
        goals.append(f"goal refresh with nothing changed, in requests: openstates {run.key_requests()} key requests "
                     f"({', '.join(f'{k} {run.kinds.get(k, 0)}' for k in STATE_KINDS)}), {run.texts()} texts: "
                     "reported")
    return goals


def report_discovery(r: Results) -> list[str]:
    goals: list[str] = []
    days = len(r.days)
    print(f"### Time to discovery: relevant bills that appeared during the {days} days")
    print()
    print("| source | where AI and work show | relevant new bills | stored relevant after their first run | share "
          "| found later (worst lag, runs) | never found |")
    print("|---|---|---|---|---|---|---|")
    for source in ("congress", "openstates"):
        bills = [b for b in r.discovery if b.source == source]
        if not bills:
            continue
        groups = sorted({b.how for b in bills}) + ["all"]
        for how in groups:
            chosen = bills if how == "all" else [b for b in bills if b.how == how]
            first = sum(1 for b in chosen if b.found == b.day)
            later = [b.found - b.day + 1 for b in chosen if b.found is not None and b.found > b.day]
            never = sum(1 for b in chosen if b.found is None)
            name = f"**{how}**" if how == "all" else how
            print(f"| {source} | {name} | {len(chosen)} | {first} | {first / len(chosen):.2f} "
                  f"| {len(later)}{f' ({max(later)})' if later else ''} | {never} |")
        first = sum(1 for b in bills if b.found == b.day)
        share = first / len(bills)
        lags = [b.found - b.day + 1 for b in bills if b.found is not None]
        worst = "never found" if any(b.found is None for b in bills) else f"{max(lags)} run(s)"
        goals.append(f"goal discovery, relevant new bills stored relevant after one run >= {DISCOVERY_GOAL}: "
                     f"{source} {share:.2f} ({first} of {len(bills)}; worst lag {worst}): "
                     f"{'met' if share >= DISCOVERY_GOAL else 'NOT met'}")
    print()
    print("As `ailabor status` reports it from the database (simulated calendar: one run a day, the day after a bill "
          "appears; Open States lists a bill at 22:00 UTC on its day):")
    for line in r.lag_lines:
        print(f"  discovery: {line}")
    print()
    return goals


def report_stemming(r: Results) -> None:
    if r.stemming is None:
        return
    rows, extra, replaced, days = r.stemming
    print("### Stemming in the Open States searches")
    print()
    stemming.report(rows, extra, days)
    if replaced:
        print()
        print("The phrases topics.yml's search_narrower keeps out of the searches, had they been sent:")
        print()
        print("| phrase | bills found, stemmed | as written | blow-up | extra bills a day | extra requests a day |")
        print("|---|---|---|---|---|---|")
        for row in replaced:
            blow = "none as written" if not row.written else f"{row.blow_up:.2f}x"
            extra_day = row.day_stemmed - row.day_written
            print(f"| {row.phrase} | {row.stemmed:,} | {row.written:,} | {blow} | {extra_day:.1f} "
                  f"| {extra_day / 20:.2f} |")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sources", nargs="+", default=list(SOURCES), choices=list(SOURCES))
    parser.add_argument("--scale", type=float, default=1.0,
                        help="size of the synthetic worlds (1.0: 34,300 federal bills, 85,000 state bills)")
    parser.add_argument("--days", type=int, default=7, help="days of upstream changes, one run of each spider a day")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--keep", type=Path, help="an empty folder to keep the bill spiders' database in")
    args = parser.parse_args()
    goals: list[str] = []
    bills = tuple(s for s in ("congress", "openstates") if s in args.sources)
    print(f"scale {args.scale}; upstreams on 127.0.0.1; spiders in child processes\n")
    if bills:
        with tempfile.TemporaryDirectory() as tmp:
            work = args.keep or Path(tmp)
            work.mkdir(parents=True, exist_ok=True)
            if (work / "tracker.db").exists():
                raise SystemExit(f"{work / 'tracker.db'} exists: give --keep an empty folder")
            start = time.perf_counter()
            results = measure(args.scale, args.seed, work, args.days, bills)
            plan = results.plan
            print(f"Synthetic world (bench/synthetic.py): {len(plan.federal):,} federal bills (119th and 118th "
                  f"Congresses, with the {args.days} days' new ones), {len(plan.states):,} state bills of 2023-2026; "
                  f"built and indexed in {results.setup_seconds:.0f}s; all runs {time.perf_counter() - start:.0f}s")
            print()
            if "congress" in bills:
                goals += report_federal(results)
            if "openstates" in bills:
                goals += report_states(results)
            goals += report_discovery(results)
            report_stemming(results)
    agencies = [s for s in args.sources if s in ("federal_register", "regulations_gov")]
    if agencies:
        print("### Federal Register and Regulations.gov (bench/upstreams.py)")
        print()
        goals += report_agencies([bench_agency(source, args.scale, args.seed) for source in agencies])
        print()
    for line in goals:
        print(line)


if __name__ == "__main__":
    main()
