"""How a crawl's outcome becomes its run's status and message (ailabor.runs.RunOutcome), without a crawl."""

from __future__ import annotations

import pytest

from ailabor.runs import RunOutcome


@pytest.mark.parametrize(("outcome", "requests", "reason", "expected"), [
    (RunOutcome(good_responses=3), 3, "finished", ("ok", None)),
    (RunOutcome(nothing_to_ask=True), 0, "finished", ("ok", None)),
    (RunOutcome(), 0, "finished", ("failed", "no usable response from the upstream")),
    (RunOutcome(failed_requests=2, last_failure="could not reach example.org: timeout"), 2, "finished",
     ("failed", "could not reach example.org: timeout")),
    (RunOutcome(failed_requests=1, partial_reason="quota spent at /bills"), 1, "quota",
     ("failed", "quota spent at /bills")),
    (RunOutcome(exceptions=1), 1, "finished", ("failed", "no usable response from the upstream")),
    (RunOutcome(good_responses=4, failed_requests=1, exceptions=2, lost_items=3), 5, "finished",
     ("partial", "1 request(s) failed; 2 callback error(s); 3 item(s) rejected")),
    (RunOutcome(good_responses=4, partial_reason="quota spent at /bills", lost_items=1), 4, "quota",
     ("partial", "quota spent at /bills")),
    (RunOutcome(good_responses=4), 4, "shutdown", ("partial", "stopped: shutdown")),
    (RunOutcome(good_responses=4, lost_items=1, known_bad=2), 4, "finished",
     ("partial", "1 item(s) rejected; 2 item(s) rejected as in the 2 runs before, no longer holding the watermark")),
    (RunOutcome(good_responses=4, known_bad=2), 4, "finished",
     ("ok", "2 item(s) rejected as in the 2 runs before, no longer holding the watermark")),
], ids=["clean", "nothing-to-ask", "no-answer", "unreachable", "quota-before-any-answer", "only-an-exception",
        "losses-counted", "quota-after-answers", "stopped", "lost-and-known-bad", "only-known-bad"])
def test_a_run_s_status_and_message_follow_from_what_it_met(outcome, requests, reason, expected):
    assert outcome.status(requests, reason) == expected
