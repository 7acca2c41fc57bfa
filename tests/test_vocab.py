"""Status from actions: the shared rules every legislature's actions are read by."""

from __future__ import annotations

from ailabor.records import Action
from db.vocab import chambers_needed, derive_status


def _actions(*steps: tuple[str, str, str]) -> list[Action]:
    return [Action(date, f"{cls} in {actor}", actor, [cls]) for date, actor, cls in steps]


def test_passage_in_both_chambers_is_passed_legislature():
    steps = _actions(("2025-01-01", "lower", "introduction"), ("2025-02-01", "lower", "passage"),
                     ("2025-03-01", "upper", "referral-committee"), ("2025-04-01", "upper", "passage"))
    assert derive_status(steps) == ("passed_legislature", "2025-04-01", "passed_legislature")


def test_second_chambers_committee_is_not_a_step_back():
    steps = _actions(("2025-02-01", "lower", "passage"), ("2025-03-01", "upper", "referral-committee"))
    assert derive_status(steps) == ("passed_chamber", "2025-02-01", "passed_chamber")


def test_veto_stands_until_every_chamber_overrides_it():
    steps = _actions(("2025-02-01", "lower", "passage"), ("2025-03-01", "upper", "passage"),
                     ("2025-04-01", "executive", "executive-veto"), ("2025-05-01", "lower", "veto-override-passage"))
    assert derive_status(steps) == ("vetoed", "2025-04-01", "passed_legislature")
    steps += _actions(("2025-05-08", "upper", "veto-override-passage"))
    assert derive_status(steps) == ("enacted", "2025-05-08", "enacted")


def test_one_chamber_suffices_for_unicameral_legislatures_and_simple_resolutions():
    assert chambers_needed("ne", "bill") == chambers_needed("dc", "bill") == chambers_needed("ca", "resolution") == 1
    assert chambers_needed("ca", "bill") == chambers_needed("us", "joint resolution") == 2


def test_a_bill_that_ended_keeps_the_step_it_reached_before():
    vetoed = _actions(("2025-01-01", "legislature", "introduction"), ("2025-02-01", "legislature", "passage"),
                      ("2025-03-01", "executive", "executive-veto"))
    assert derive_status(vetoed, chambers_needed("dc", "bill")) == ("vetoed", "2025-03-01", "passed_legislature")
    assert derive_status(vetoed) == ("vetoed", "2025-03-01", "passed_chamber")
    withdrawn = _actions(("2025-01-01", "lower", "withdrawal"))
    assert derive_status(withdrawn) == ("withdrawn", "2025-01-01", None)
