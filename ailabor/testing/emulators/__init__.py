"""Whole upstreams on loopback, answering any request the real APIs would, from a dataset of bill facts.

The recall test runs the real spiders end to end against real bills described
as facts (tests/fixtures/recall/FORMAT.md); a replay cassette could only
answer the requests someone recorded, so these emulators implement each API's
documented semantics (shared/SOURCES.md §1-3) over the facts instead:

- Congress.gov v3: /congress/current, /bill feeds and details with their
  sub-resources, /summaries feeds (congress.py);
- govinfo: POST /search, /packages, /collections; BILLSTATUS files and ZIPs
  under /bulkdata; texts under /content/pkg (govinfo.py);
- Open States v3: /bills, /bills/{j}/{session}/{id}, /jurisdictions, and the
  legislatures' version pages (openstates.py).

Usage::

    from ailabor.testing.emulators import Dataset, Options, emulating
    dataset = Dataset.from_files("tests/fixtures/recall/federal.yml",
                                 ["tests/fixtures/recall/states_a.yml"], as_of="2025-06-01",
                                 options=Options(text_search_missing={"hi"}))
    with emulating(dataset) as server:      # server.url -> the spiders' base URLs
        ...                                  # crawl
        server.advance("2025-07-01")         # what became visible is stamped now
        ...                                  # crawl again; server.hits holds every request
"""

from ailabor.testing.emulators.dataset import Changes, Dataset, Options
from ailabor.testing.emulators.facts import (
    Action,
    FactsError,
    FederalBill,
    StateAction,
    StateBill,
    StateVersion,
    Summary,
    TextVersion,
    load_federal,
    load_states,
)
from ailabor.testing.emulators.server import EmulatorServer, emulating

__all__ = [
    "Action", "Changes", "Dataset", "EmulatorServer", "FactsError", "FederalBill", "Options", "StateAction",
    "StateBill", "StateVersion", "Summary", "TextVersion", "emulating", "load_federal", "load_states",
]
