"""Realistic bill text for benchmarks: real legislative phrasing recombined, not random letters.

A few percent of the bills speak of AI and work, as in the real stream; the
rest are the ordinary business of legislatures.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from ailabor.records import Action, BillItem, Sponsor, Version

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
    "algorithmic management of warehouse workers' quotas",
    "generative artificial intelligence trained on copyrighted works",
    "notice to workers displaced by automation", "deepfakes of deceased performers",
]
ACTIONS_ORDINARY = ["An act relating to", "Concerning", "Providing for", "Amending provisions related to",
                    "Establishing a task force on", "Modifying requirements for"]
SUMMARY_OPENERS = ["This bill", "The bill", "This act"]
SUMMARY_VERBS = ["requires", "authorizes", "prohibits", "establishes", "amends the law concerning",
                 "directs a study of"]


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


# Stories: a bill's text, its dated history and its people, for synthetic upstreams and the site database ---------

FIRST_NAMES = ["Maria", "James", "Aisha", "Robert", "Linh", "Patricia", "Carlos", "Jennifer", "Michael", "Keisha",
               "David", "Susan", "Ahmed", "Karen", "Daniel", "Nancy", "Jose", "Lisa", "Thomas", "Rebecca", "Wei",
               "Angela", "Kevin", "Brenda", "Tyrone", "Hannah", "Raj", "Megan", "Samuel", "Teresa"]
LAST_NAMES = ["Garcia", "Smith", "Johnson", "Nguyen", "Williams", "Brown", "Jones", "Martinez", "Davis", "Lopez",
              "Miller", "Wilson", "Anderson", "Taylor", "Thomas", "Moore", "Jackson", "Martin", "Lee", "Perez",
              "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young",
              "Allen", "King", "Wright", "Scott", "Torres", "Hill", "Flores", "Green", "Adams", "Nelson"]
COMMITTEES = ["Labor and Employment", "Judiciary", "Commerce and Consumer Protection", "Appropriations",
              "Education", "Technology and Innovation", "Arts, Entertainment and Media", "Government Operations",
              "Health", "Ways and Means", "Rules", "Privacy and Consumer Protection"]
# Bills that the AI search phrases find but that are not about work: most AI bills, as in the real stream.
AI_OTHER_SUBJECTS = [
    "deepfakes in election communications", "artificial intelligence chatbots used by minors",
    "a task force on artificial intelligence in state government", "machine learning in medical diagnosis",
    "generative artificial intelligence disclosures in advertising", "algorithmic pricing of residential rent",
    "automated decision systems used by state agencies", "synthetic media depicting minors",
]
TOPIC_WORDS = {"digital replicas": "digital-replicas", "likeness": "likeness-rights",
               "employment decisions": "ai-employment-decisions", "automated decision": "ai-employment-decisions",
               "monitoring": "workplace-surveillance", "algorithmic management": "algorithmic-management",
               "displaced": "displacement-retraining", "copyrighted": "genai-training-creative-work",
               "deepfakes of deceased": "digital-replicas"}


def person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def story_text(rng: random.Random, kind: str) -> tuple[str, str]:
    """Title and summary of a bill on the AI-and-work subjects (``work``), other AI subjects (``ai``) or neither."""
    pool = {"work": AI_SUBJECTS, "ai": AI_OTHER_SUBJECTS}.get(kind, ORDINARY_SUBJECTS)
    subject = rng.choice(pool)
    other = rng.choice(ORDINARY_SUBJECTS)
    title = f"{rng.choice(ACTIONS_ORDINARY)} {subject}"
    summary = (f"{rng.choice(SUMMARY_OPENERS)} {rng.choice(SUMMARY_VERBS)} {subject}, and {rng.choice(SUMMARY_VERBS)} "
               f"{other}. It takes effect on the first day of the fiscal year following enactment and requires the "
               f"department to report to the legislature on implementation.")
    return title, summary


def story_actions(rng: random.Random, introduced: str, chamber: str, last_day: str) -> list[dict[str, object]]:
    """A dated history as legislatures write it: most bills die in committee, a few pass, fewer become law.

    Dates never pass ``last_day`` (ISO), so a story told at a moment holds only what had happened by then.
    """
    from datetime import date, timedelta

    day = date.fromisoformat(introduced)
    end = date.fromisoformat(last_day)
    other = "upper" if chamber == "lower" else "lower"
    steps: list[tuple[str, str, list[str]]] = [
        ("Introduced and read first time", chamber, ["introduction"]),
        (f"Referred to Committee on {rng.choice(COMMITTEES)}", chamber, ["referral-committee"]),
    ]
    fate = rng.random()
    if fate < 0.25:
        steps.append(("Reported favorably by committee with amendments", chamber, ["committee-passage"]))
        steps.append((f"Passed; ayes {rng.randint(40, 90)}, noes {rng.randint(0, 30)}", chamber, ["passage"]))
        if fate < 0.12:
            steps.append((f"Referred to Committee on {rng.choice(COMMITTEES)}", other, ["referral-committee"]))
            steps.append((f"Passed; ayes {rng.randint(20, 40)}, noes {rng.randint(0, 15)}", other, ["passage"]))
            if fate < 0.07:
                steps.append(("Delivered to the Governor", "executive", ["executive-receipt"]))
                steps.append(("Signed by the Governor", "executive", ["executive-signature"]))
    actions = []
    for description, actor, classification in steps:
        if day > end:
            break
        actions.append({"date": day.isoformat(), "description": description, "actor": actor,
                        "classification": classification})
        day += timedelta(days=rng.randint(1, 40))
    return actions
