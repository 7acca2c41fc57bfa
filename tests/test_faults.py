"""Every API spider under every upstream fault keeps every good item once, records the bad, and a rerun completes.

The faults, the upstreams and the machinery are in tests/faults.py. All the
selected cases are crawled side by side before the first is checked (the
crawls mostly wait on retries and timeouts); each test then checks one case.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest

from tests.conftest import CrawlResult
from tests.faults import FIGURES, Case, Figure, Outcome, Snapshot, cases, duplicate_events, moment, run_case, run_clean

pytestmark = pytest.mark.faults

WORKERS = 3


@dataclass
class Runs:
    clean: dict[str, Outcome]  # by source
    cases: dict[str, Outcome]  # by case id


@pytest.fixture(scope="session")
def fault_runs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Runs:
    """Every selected case (``-k`` narrows them) and a clean crawl of each upstream involved, run side by side."""
    selected = {}
    for item in request.session.items:
        case = getattr(item, "callspec", None) and item.callspec.params.get("case")
        if isinstance(case, Case):
            selected[case.id] = case
    folder = tmp_path_factory.mktemp("faults")
    upstreams = {c.upstream.source: c.upstream for c in selected.values()}
    with ThreadPoolExecutor(WORKERS) as pool:
        clean = {source: pool.submit(run_clean, upstream, folder) for source, upstream in upstreams.items()}
        # Persistent faults cost two crawls: start them first.
        order = sorted(selected.values(), key=lambda c: not c.fault.persistent)
        runs = {c.id: pool.submit(run_case, c, folder) for c in order}
        return Runs({s: f.result() for s, f in clean.items()}, {i: f.result() for i, f in runs.items()})


def damaged(clean: Snapshot, after: Snapshot) -> set[str]:
    """Items of the clean crawl that are missing, or stored differently, after the faulty one."""
    return {key for key, content in clean.items.items() if after.items.get(key) != content}


def _tail(result: CrawlResult | None) -> str:
    return f"{result.stdout}\n{result.stderr[-4000:]}" if result else "no crawl"


@pytest.mark.parametrize("case", cases(), ids=lambda c: c.id)
def test_good_items_are_stored_once_bad_ones_recorded_and_a_rerun_without_the_fault_completes(case: Case,
                                                                                              fault_runs: Runs):
    baseline = fault_runs.clean[case.upstream.source]
    outcome = fault_runs.cases[case.id]
    clean, faulty = baseline.faulty, outcome.faulty
    final = outcome.rerun or faulty
    figure = Figure(case.fault, case.id, outcome.runs, final.count(case.upstream.source),
                    len(damaged(clean, final)), duplicate_events(final.events, clean.events), passed=False)
    FIGURES.append(figure)

    assert clean.run["status"] == "ok", _tail(baseline.result)
    assert outcome.fault_hits, "the fault was never served"
    run = faulty.run
    assert run["status"] == case.expected_status, _tail(outcome.result)
    assert set(faulty.items) <= set(clean.items), "an item that a clean crawl does not store"
    lost = damaged(clean, faulty)
    if case.fault.persistent:
        if case.site != "first":
            assert lost, "the fault struck nothing a clean crawl stores"
        site = getattr(case.upstream, case.site)
        at_site = [e for e in faulty.errors if urlsplit(e["url"] or "").path == site.path]
        assert at_site, faulty.errors
        if case.fault.recorded_as:
            assert set(case.fault.recorded_as) & {e["kind"] for e in at_site}, at_site
        if run["status"] == "failed":
            assert run["watermark"] is None
        elif run["watermark"] and lost:
            # Not past anything lost: the next run reads from before it.
            stamps = [moment(stamp) for key in lost if (stamp := clean.stamps.get(key))]
            assert not stamps or moment(run["watermark"]) <= min(stamps), (run["watermark"], sorted(lost))
        assert outcome.rerun is not None and outcome.rerun.run["status"] == "ok", _tail(outcome.rerun_result)
        assert outcome.rerun.errors == []
    else:
        assert lost == set(), "a transient fault cost items"
        assert faulty.errors == []
        if clean.run["watermark"] is not None:
            assert run["watermark"] is not None and moment(run["watermark"]) >= moment(clean.run["watermark"])
    assert figure.losses == 0, f"after the rerun, differing from a clean crawl: {sorted(damaged(clean, final))}"
    assert figure.duplicates == 0, "an event told twice"
    figure.passed = True
