"""The one command that regenerates bench/RESULTS.md: every benchmark, one after another, with the machine it ran on.

Benchmarks run one at a time (each in its own process), since they compare
against baselines measured in the same run and a neighbour would skew both.
The default sizes are the issue's: about 20 minutes on 2 busy cores, most of
it the bill spiders' week on a synthetic world at real scale and the
250,000-bill site database (built once, then cached under /tmp). ``--quick``
runs small sizes to check the scripts. ``--only`` re-runs some benchmarks and
keeps the other sections (and their goal rows) of the RESULTS.md already there.
    python bench/run_all.py [--quick] [--only requests site digest classify ingest recall]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shlex
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"

FULL = {
    "requests": ["bench/request_economy.py", "--scale", "1.0"],
    "site": ["bench/site.py", "--bills", "250000", "--requests", "100", "--baseline-requests", "40",
             "--concurrency", "20"],
    "digest": ["bench/digest.py", "--events", "10000", "--repeat", "5"],
    "classify": ["bench/classify.py", "--bills", "50000"],
    "ingest": ["bench/ingest.py", "--sizes", "10000", "50000", "100000"],
    "recall": ["bench/recall.py", "--sets", "main", "holdout"],
}
QUICK = {
    "requests": ["bench/request_economy.py", "--scale", "0.05", "--days", "3"],
    "site": ["bench/site.py", "--bills", "5000", "--requests", "40", "--baseline-requests", "20",
             "--concurrency", "20"],
    "digest": ["bench/digest.py", "--events", "2000", "--repeat", "2"],
    "classify": ["bench/classify.py", "--bills", "5000"],
    "ingest": ["bench/ingest.py", "--sizes", "1000", "5000"],
    "recall": ["bench/recall.py", "--sets", "main"],
}
TITLES = {
    "requests": "Request economy (bench/request_economy.py)",
    "site": "Site latency (bench/site.py)",
    "digest": "Digest rendering (bench/digest.py)",
    "classify": "Classifier throughput (bench/classify.py)",
    "ingest": "Ingest throughput and memory (bench/ingest.py)",
    "recall": "Recall at the source (bench/recall.py)",
}


def machine() -> list[tuple[str, str]]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "unknown")
    memory = next((int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")), 0)
    return [
        ("date (UTC)", datetime.now(UTC).strftime("%Y-%m-%d %H:%M")),
        ("cores (nproc)", str(os.cpu_count())),
        ("CPU", cpu),
        ("memory", f"{memory / 1024 / 1024:.1f} GiB"),
        ("load average at start (1, 5, 15 min)", ", ".join(f"{x:.2f}" for x in os.getloadavg())),
        ("OS", platform.platform()),
        ("Python", platform.python_version()),
        ("SQLite", sqlite3.sqlite_version),
        ("Datasette / Scrapy / sqlite-utils", " / ".join(version(p) for p in ("datasette", "scrapy", "sqlite-utils"))),
    ]


def as_markdown(output: str) -> str:
    """Tables and headings the scripts print stay so; every other run of lines goes in a code block."""
    blocks: list[str] = []
    plain: list[str] = []

    def flush() -> None:
        if "\n".join(plain).strip():
            blocks.append("```\n" + "\n".join(plain).strip("\n") + "\n```")
        plain.clear()

    lines = output.rstrip().splitlines()
    for n, line in enumerate(lines):
        if line.startswith("### "):
            flush()
            blocks.append(line + "\n")
        elif line.startswith("|"):
            flush()
            blocks.append(line if n + 1 < len(lines) and lines[n + 1].startswith("|") else line + "\n")
        else:
            plain.append(line)
    flush()
    return "\n".join(blocks)


def goals(name: str, output: str) -> list[tuple[str, str, str]]:
    """(benchmark, goal, result) from the lines where a script states a goal."""
    rows = []
    for line in output.splitlines():
        text = line.strip()
        # "met", "NOT met", or "reported" for a figure stated without a threshold.
        stated = re.match(r"^goal (.*?): ((?:NOT )?met\b.*|reported\b.*)$", text)
        if stated:
            rows.append((name, stated.group(1), stated.group(2)))
            continue
        # bench/ingest.py states its goals inside its figures' lines.
        ratio = re.search(r"^(\d+) bills: .* ratio ([\d.]+) of the bulk rate \(goal >= ([\d.]+)\)", text)
        if ratio:
            count, got, wanted = ratio.groups()
            rows.append((name, f"pipeline at least {wanted} of the bulk insert rate ({int(count):,} bills)",
                         f"{got}: {'met' if float(got) >= float(wanted) else 'NOT met'}"))
        memory = re.search(r"^peak memory from .*\(([\d.]+)x; flat means close to 1\)", text)
        if memory:
            rows.append((name, "peak memory flat as items grow", f"{text.split(': ', 1)[1]}"))
    return rows


def kept_from(path: Path, rerun: set[str]) -> tuple[list[str], list[tuple[str, str, str]], dict[str, str]]:
    """What of the RESULTS.md already there stays: the commands, goal rows and sections (each dated under its
    heading) of the benchmarks not re-run (``--only``)."""
    if not path.exists():
        return [], [], {}
    blocks: dict[str, str] = {}
    for part in re.split(r"(?m)^## ", path.read_text())[1:]:
        title, _, body = part.partition("\n")
        blocks[title.strip()] = body
    names = {title: name for name, title in TITLES.items()}
    sections = {names[t]: f"## {t}\n{body.rstrip()}\n" for t, body in blocks.items()
                if t in names and names[t] not in rerun}
    script_of = {argv[0]: name for name, argv in FULL.items()}
    listed = re.search(r"```\n(.*?)```", blocks.get("Commands run", ""), re.S)
    commands = [line for line in (listed.group(1).splitlines() if listed else [])
                if script_of.get(line.split()[1] if len(line.split()) > 1 else "", "") not in rerun | {""}]
    rows = []
    for line in blocks.get("Goals", "").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        if len(cells) == 3 and cells[0] in FULL and cells[0] not in rerun:
            rows.append((cells[0], cells[1], cells[2]))
    return commands, rows, sections


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes, to check the scripts (not for RESULTS)")
    parser.add_argument("--only", nargs="+", choices=list(FULL), default=list(FULL))
    args = parser.parse_args()
    plan = {name: (QUICK if args.quick else FULL)[name] for name in args.only}
    header = machine()
    sections, summary, commands = [], [], []
    for name, argv in plan.items():
        command = [sys.executable, *argv]
        shown = "python " + " ".join(shlex.quote(a) for a in argv)
        print(f"running {shown}", flush=True)
        start = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - start
        commands.append(f"{shown}   # {seconds:.0f}s" + ("" if done.returncode == 0 else f", exit {done.returncode}"))
        output = done.stdout if done.returncode == 0 else done.stdout + "\n" + done.stderr[-3000:]
        if done.returncode == 0 and "Traceback" in done.stderr:
            # A child process can fail inside a script that still exits 0: its figures would mean nothing.
            tail = done.stderr[done.stderr.rindex("Traceback"):][-1500:]
            output += f"\nWARNING: a traceback on stderr; these figures may not be what they claim:\n{tail}"
        print(output, flush=True)
        summary += goals(name, output)
        sections.append(f"## {TITLES[name]}\n\n`{shown}` ({seconds:.0f} s, run {header[0][1]} UTC)\n\n"
                        f"{as_markdown(output)}\n")
    load_after = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    kept_note = ""
    if set(plan) != set(FULL):
        old_commands, old_goals, old_sections = kept_from(RESULTS, set(plan))
        order = list(FULL)
        by_name = dict(zip(plan, sections, strict=True)) | old_sections
        sections = [by_name[name] for name in order if name in by_name]
        summary = sorted(summary + old_goals, key=lambda row: order.index(row[0]))
        commands = sorted(commands + old_commands, key=lambda line: next(
            (order.index(n) for n, argv in FULL.items() if line.split()[1:2] == [argv[0]]), len(order)))
        if old_sections:
            kept_note = (f"Only {', '.join(plan)} re-run on this date (`--only`); the sections of "
                         f"{', '.join(n for n in order if n in old_sections)} and their goal rows are kept from "
                         "earlier runs, each dated under its heading.")
    text = [
        "# Benchmark results",
        "",
        "Regenerated by `python bench/run_all.py` (`--only` keeps the sections it does not re-run). Ratios",
        "compare each figure with a baseline measured in the same run on the same machine; absolute times depend",
        "on the machine and on what else it was doing (the load averages below). Benchmarks, not tests: nothing",
        "here asserts a time.",
        "" if not args.quick else f"\n**Quick sizes (`--quick`) for {', '.join(plan)}: these figures check the "
                                  "scripts, they are not the issue's measurements.**\n",
        *([kept_note, ""] if kept_note else []),
        "Notes on what was run:",
        "",
        "- Request economy: congress and openstates run against ailabor/testing/emulators (Congress.gov, govinfo, Open",
        "  States, the legislatures' pages) serving a synthetic world (bench/synthetic.py) at scale 1.0: 34,300",
        "  federal bills (119th 15,000, 118th 19,300; 1.3% titled on AI, 1.1% more whose official title, CRS",
        "  summary, subjects or text alone name AI, 2% naming AI in passing in their text; CRS summaries on 45-62%),",
        "  85,000 state bills of 2023-2026 (4% found by the AI phrases as written), then a week of daily changes",
        "  (printed with each run). Federal Register (4,000 documents of the followed agencies) and Regulations.gov",
        "  (63 dockets) use bench/upstreams.py's synthetic upstreams. The openstates_events and congress_hearings",
        "  spiders are not covered yet.",
        "- Site: the 250,000-bill database is built once (about 6 minutes here) and cached under /tmp/ailabor-bench;",
        "  pages, canned queries and templates are the ones in metadata.yml and templates/ at the time of the run.",
        "- The machine is shared with other work (load averages below): absolute times move between runs, the",
        "  ratios against a baseline measured in the same run much less; request counts move by a few between",
        "  runs (the order in which a spider's concurrent answers arrive).",
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in header],
        f"| load average at the end | {load_after} |",
        "",
        "## Commands run",
        "",
        "```",
        *commands,
        "```",
        "",
        "## Goals",
        "",
        "| benchmark | goal | result |",
        "|---|---|---|",
        *[f"| {b} | {g} | {r} |" for b, g, r in summary],
        "",
        *sections,
    ]
    RESULTS.write_text("\n".join(text).rstrip() + "\n")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
