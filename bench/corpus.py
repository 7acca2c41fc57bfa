"""Realistic bill text for benchmarks: real legislative phrasing recombined, not random letters.

A few percent of the bills speak of AI and work, as in the real stream; the
rest are the ordinary business of legislatures.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from scrapers.items import Action, BillItem, Sponsor, Version

JURISDICTIONS = [
    "al", "ak", "az", "ar", "ca", "co", "ct", "de", "fl", "ga", "hi", "id", "il", "in", "ia", "ks", "ky", "la", "me",
    "md", "ma", "mi", "mn", "ms", "mo", "mt", "ne", "nv", "nh", "nj", "nm", "ny", "nc", "nd", "oh", "ok", "or", "pa",
    "ri", "sc", "sd", "tn", "tx", "ut", "vt", "va", "wa", "wv", "wi", "wy", "dc", "pr", "us",
]
ORDINARY_SUBJECTS = [
    "property tax exemptions for veterans", "school district transportation funding", "the sale of raw milk",
    "hunting and fishing license fees", "municipal water utility rates", "motor vehicle registration",
    "teacher certification requirements", "the state building code", "wildfire mitigation grants",
    "public pension fund investments", "short-term rental regulation", "opioid settlement funds",
    "broadband infrastructure grants", "juvenile justice diversion programs", "the minimum wage for tipped workers",
    "prevailing wage on public works", "workers' compensation for first responders", "heat illness prevention",
    "paid family and medical leave", "apprenticeship programs in the building trades", "the film production tax credit",
    "licensing of cosmetologists", "the state lottery", "election audits", "sports wagering",
]
AI_SUBJECTS = [
    "the use of artificial intelligence in employment decisions", "digital replicas of performers' voices and likeness",
    "automated decision tools used by employers", "electronic monitoring of employees by employers",
    "algorithmic management of warehouse workers' quotas", "generative artificial intelligence trained on copyrighted works",
    "notice to workers displaced by automation", "deepfakes of deceased performers",
]
ACTIONS_ORDINARY = ["An act relating to", "Concerning", "Providing for", "Amending provisions related to",
                    "Establishing a task force on", "Modifying requirements for"]
SUMMARY_OPENERS = ["This bill", "The bill", "This act"]
SUMMARY_VERBS = ["requires", "authorizes", "prohibits", "establishes", "amends the law concerning", "directs a study of"]


def bill_text(rng: random.Random, ai_share: float = 0.04) -> tuple[str, str, bool]:
    on_ai = rng.random() < ai_share
    subject = rng.choice(AI_SUBJECTS if on_ai else ORDINARY_SUBJECTS)
    title = f"{rng.choice(ACTIONS_ORDINARY)} {subject}"
    other = rng.choice(ORDINARY_SUBJECTS)
    summary = (f"{rng.choice(SUMMARY_OPENERS)} {rng.choice(SUMMARY_VERBS)} {subject}, and {rng.choice(SUMMARY_VERBS)} "
               f"{other}. It takes effect on the first day of the fiscal year following enactment and requires the "
               f"department to report to the legislature on implementation.")
    return title, summary, on_ai


def bills(count: int, seed: int = 7, ai_share: float = 0.04) -> Iterator[BillItem]:
    rng = random.Random(seed)
    for n in range(count):
        jurisdiction = JURISDICTIONS[n % len(JURISDICTIONS)]
        title, summary, _ = bill_text(rng, ai_share)
        chamber = rng.choice(["House", "Senate"])
        number = f"{'HB' if chamber == 'House' else 'SB'} {n + 1}"
        actions = [Action("2025-01-15", "Introduced and read first time", chamber.lower(), ["introduction"]),
                   Action("2025-01-20", f"Referred to Committee on {rng.choice(['Labor', 'Judiciary', 'Commerce'])}",
                          chamber.lower(), ["referral-committee"])]
        if rng.random() < 0.3:
            actions.append(Action("2025-03-02", "Passed; ayes 60, noes 12", chamber.lower(), ["passage"]))
        yield BillItem(
            jurisdiction=jurisdiction, session="2025", identifier=number, title=title, summary=summary,
            source="bench", subjects=[rng.choice(["Labor", "Technology", "Taxation", "Education"])],
            actions=actions,
            sponsors=[Sponsor(f"Legislator {rng.randint(1, 4000)}", "primary", rng.choice(["D", "R"])),
                      Sponsor(f"Legislator {rng.randint(1, 4000)}", "cosponsor", rng.choice(["D", "R"]))],
            versions=[Version(f"https://legislature.example/{jurisdiction}/{n}/introduced.pdf", "Introduced",
                              "2025-01-15", "application/pdf")],
            url=f"https://legislature.example/{jurisdiction}/bills/{n}",
        )
