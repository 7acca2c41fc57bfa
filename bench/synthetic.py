"""Synthetic bills at real scale, as facts for the emulated upstreams (ailabor/testing/emulators), with a week
of changes.

The request benchmark must run the real spiders against upstreams that hold
as many bills as the real ones and that change day by day the way they do,
and the recall fixtures hold a few hundred bills only. This module writes
``FederalBill`` and ``StateBill`` facts in code: titles, summaries and texts
recombined from bench/corpus.py's legislative phrasing, so that the classifier
and the upstream searches meet what they meet in real bills:

* a few bills about AI and work; more about AI only (elections, state
  agencies, health); some about work only (wages, leave); most about neither;
* bills that only their text shows to be about AI and work (a title that
  names no AI, no summary that does), bills whose CRS summary, official title
  or CRS subjects name AI where the display title does not, and bills that
  name AI in passing (a study, a state office's tools);
* the words that make stemmed searches broader than their phrase: "revenue
  generated", "electricity generation", "automated external defibrillator",
  "electronically monitored" release, "robotic surgery" (rates below);
* texts of 200 to 400 words, federal versions as govinfo prints them, state
  versions as HTML or PDF by jurisdiction; CRS summaries on a share of
  federal bills, CRS subjects once CRS has indexed them, state abstracts where
  the emulator's options say a state sends them.

The facts hold the whole simulated week: the world as of ``t0`` plus, dated
on each of the following ``days``, new bills, new actions, new text versions
and new CRS summaries; ``Dataset.advance`` makes each day visible in turn and
``Plan.touched`` names the bills the Library re-stamps in bulk that day.
Everything is drawn from one seed, so two runs measure the same world.
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from ailabor.testing.emulators import (
    Action,
    FederalBill,
    Options,
    StateAction,
    StateBill,
    StateVersion,
    Summary,
    TextVersion,
)
from bench.corpus import (
    ACTIONS_ORDINARY,
    AI_OTHER_SUBJECTS,
    AI_SUBJECTS,
    FIRST_NAMES,
    LAST_NAMES,
    ORDINARY_SUBJECTS,
    SUMMARY_OPENERS,
    SUMMARY_VERBS,
    person,
    story_actions,
)

# Federal ----------------------------------------------------------------------------------------------------

# Bills introduced in each followed Congress at scale 1.0 (the 118th's final count; the 119th by late 2026).
FEDERAL_SIZES = {119: 15_000, 118: 19_300}
# Shares of each bill type, as in the 118th Congress (10,400 H.R., 5,600 S., 1,500 H.Res., 950 S.Res. ...).
FEDERAL_TYPES = {"hr": 0.545, "s": 0.292, "hres": 0.079, "sres": 0.05, "hjres": 0.011, "sjres": 0.006,
                 "hconres": 0.011, "sconres": 0.006}
# What a federal bill says of AI and work, with the share of all bills of each kind:
#   work      display title on AI and work          ai        display title on AI only
#   official  only the official title names AI      summary   only the CRS summary (and text) names AI
#   subjects  only the CRS subjects (and text) do   textwork  only the text names AI, with work
#   passing   the text names AI in passing          workonly  about work, no AI
#   plain     neither (the rest)
FEDERAL_KINDS = {"work": 0.006, "ai": 0.007, "official": 0.002, "summary": 0.004, "subjects": 0.002,
                 "textwork": 0.003, "passing": 0.02, "workonly": 0.10}
SUMMARY_SHARE = {118: 0.62, 119: 0.45}  # bills with a CRS summary (CRS now summarises introduced texts only)
FEDERAL_DAY = {"new bills": 40, "new text versions": 30, "new CRS summaries": 40, "actions on other bills": 150,
               "actions on AI bills": 12, "bulk re-stamp": 2_500}
# The kinds of the day's new federal bills (the rest are workonly or plain).
FEDERAL_NEW = {"work": 2, "official": 1, "textwork": 2, "ai": 1, "passing": 2}

# States ------------------------------------------------------------------------------------------------------

STATES = ("al", "ak", "az", "ar", "ca", "co", "ct", "de", "fl", "ga", "hi", "id", "il", "in", "ia", "ks", "ky", "la",
          "me", "md", "ma", "mi", "mn", "ms", "mo", "mt", "ne", "nv", "nh", "nj", "nm", "ny", "nc", "nd", "oh", "ok",
          "or", "pa", "ri", "sc", "sd", "tn", "tx", "ut", "vt", "va", "wa", "wv", "wi", "wy", "dc", "pr")
# Bills the AI phrases find as written, by the year they were introduced (bench/upstreams.py's volumes: NCSL
# counted about 125 state AI bills in 2023 and 300+ in 2024, MultiState 1,079 in 2025; a search on every AI
# phrase finds more), and the share of all bills they are: 85,000 state bills of 2023-2026 at scale 1.0.
STATE_AI_BY_YEAR = {2023: 300, 2024: 800, 2025: 1_200, 2026: 1_100}
STATE_AI_SHARE = 0.04
# Of the bills the AI phrases find: about AI and work in the title, AI only, AI and work in the text only,
# AI named in passing. Of the others: about work only (a share of all bills); the rest are plain.
STATE_AI_KINDS = {"work": 0.2, "ai": 0.45, "textwork": 0.1, "passing": 0.25}
STATE_WORKONLY = 0.10
STATE_DAY = {"AI bills changed": 60, "AI bills new": 15, "other bills changed": 3_000, "other bills new": 150}
STATE_NEW = {"work": 5, "textwork": 4, "ai": 6}  # the day's 15 new AI bills
# The upstreams' documented gaps (Options.known_gaps, docs/sources/coverage.md): the jurisdictions whose bills
# carry abstracts, and those whose texts Open States does not extract (or extracts stale).
ABSTRACTS: frozenset[str] = Options.known_gaps().abstract_jurisdictions or frozenset()
UNSEARCHABLE: frozenset[str] = Options.known_gaps().text_search_missing

# How often plain bill texts use the words that stemming joins to an AI phrase's words (assumed from reading
# state bill texts: fees and funds "generated" are common, defibrillators and traffic cameras "automated",
# home detention "electronically monitored", surgery "robotic").
STEM_NOISE = (
    (0.08, "Revenue generated by the fees collected under this section shall be deposited in the fund."),
    (0.03, "The office shall give priority to projects that increase electricity generation from renewable "
           "sources and energy storage."),
    (0.01, "The department may generate the notices required by this section and deliver them electronically."),
    (0.015, "Each public building shall have an automated external defibrillator available in a central place."),
    (0.008, "A county may operate an automated traffic enforcement system in school zones."),
    (0.006, "The court may order that a person released under this section be electronically monitored."),
    (0.002, "The hospital shall report the number of robotic surgical procedures performed each year."),
)

AGENCIES = ("the Secretary", "the Administrator", "the Director", "the Commissioner")
STATE_AGENCIES = ("the department", "the office", "the commission", "the board")
GENERIC = (
    "{agency} shall adopt rules to carry out this section within 180 days after its effective date.",
    "{agency} shall report to the appropriate committees on the implementation of this section, including the "
    "number of applications received and the amounts awarded.",
    "Nothing in this section shall be construed to limit any authority of a State or a political subdivision.",
    "Amounts made available under this section shall remain available until expended.",
    "A person who violates this section is subject to a civil penalty of not more than $5,000 for each violation.",
    "{agency} may enter into agreements with local governments and nonprofit organizations to carry out this "
    "section.",
    "Records kept under this section shall be retained for not less than five years and made available for "
    "inspection upon request.",
    "{agency} shall publish the information on a public website in a form that can be searched and downloaded.",
    "Any fee collected under this section shall be used only for the purposes of this section.",
    "{agency} shall consult with the public and with affected communities before issuing guidance.",
    "The requirements of this section apply to contracts entered into on or after the effective date.",
    "{agency} may waive a requirement of this section for good cause shown in writing.",
    "Not later than one year after the date of enactment, {agency} shall evaluate the program and recommend "
    "changes.",
    "Grants under this section shall be awarded on a competitive basis, with priority to rural areas.",
)
AI_WORK_SENTENCES = (
    "An employer that uses an automated decision system to make or assist hiring decisions shall notify each "
    "applicant and employee before the system is used.",
    "An employer may not rely solely on artificial intelligence to discipline, discharge or deactivate a worker, "
    "and a worker may request human review of any such decision.",
    "An employer shall not use electronic monitoring of employees to infer their union activity or to set "
    "production quotas without notice to the workers affected.",
    "A digital replica of a performer's voice or likeness may not be used in place of work the performer would "
    "otherwise have performed unless the performer gave informed consent and was represented.",
    "Workers displaced by automation are eligible for retraining assistance, and an employer shall give 90 days "
    "notice before replacing employees with automated systems.",
    "An employment agency that uses an algorithm to screen job applicants shall test it for disparate impact "
    "every year and publish the results.",
)
AI_ONLY_SENTENCES = (
    "A person who distributes a deepfake of a candidate within 90 days of an election shall disclose that the "
    "content was manipulated.",
    "A state agency that uses an automated decision system to determine eligibility for benefits shall publish "
    "an inventory of such systems.",
    "An operator of an artificial intelligence chatbot shall disclose to a minor that the minor is not talking "
    "with a human being.",
    "A health insurer may not deny a claim on the basis of a machine learning model alone.",
    "A landlord may not use an algorithm that sets rents from the nonpublic information of competing landlords.",
    "The task force shall study the use of generative artificial intelligence in state government and "
    "recommend safeguards for residents.",
)
WORK_SENTENCES = (
    "An employer shall pay each employee not less than the minimum wage for all hours worked.",
    "A worker injured in the course of employment is entitled to benefits under the workers' compensation law.",
    "An employer shall provide paid leave to each employee for the care of a family member.",
    "Contractors on public works shall pay the prevailing wage and keep certified payroll records.",
    "An apprenticeship program registered under this section shall provide classroom instruction to each "
    "apprentice.",
    "An employer with more than 100 employees shall give 60 days written notice of a mass layoff.",
)
PASSING_SENTENCES = (
    "{agency} may use artificial intelligence tools to process applications, provided that a person reviews "
    "each denial.",
    "The study shall consider the role of automation and algorithms in the management of the program.",
    "{agency} shall report on the use of machine learning to detect fraud in the program.",
    "The plan shall address the modernization of legacy information systems, including any use of artificial "
    "intelligence.",
)
WORK_NAMES = ("Fair Workplace", "Worker Protection", "Good Jobs", "Workforce Modernization", "Job Quality",
              "Workers First", "Honest Wages", "Employee Dignity")
PLAIN_NAMES = ("Community Investment", "Rural Access", "Public Safety Improvement", "Transparency and Accountability",
               "Infrastructure Renewal", "Family Support", "Clean Water", "Small Business Relief", "Veterans Care",
               "Safe Roads", "Healthy Schools", "Open Government")
AI_WORK_NAMES = ("No Robot Bosses", "Stop Spying Bosses", "Digital Replica Protection", "Fair Algorithmic Hiring",
                 "Automated Decisions at Work")
AI_NAMES = ("Algorithmic Accountability", "AI Transparency", "Deepfake Disclosure", "Responsible AI",
            "Chatbot Safety", "Automated Decisions Fairness")
POLICY_AREAS = ("Government Operations and Politics", "Health", "Taxation", "Transportation and Public Works",
                "Education", "Energy", "Environmental Protection", "Armed Forces and National Security",
                "Public Lands and Natural Resources", "Crime and Law Enforcement", "Finance and Financial Sector",
                "Commemorations", "Agriculture and Food", "Housing and Community Development")
PLAIN_SUBJECTS = ("Congressional oversight", "Government studies and investigations", "Federal officials",
                  "Appropriations", "Public contracts and procurement", "Motor vehicles", "Water quality",
                  "Veterans' medical care", "Medicare", "Tax credits", "Higher education", "Rural conditions and "
                  "development", "State and local government operations", "Grants-in-aid", "Public housing")
WORK_SUBJECTS = ("Labor-management relations", "Employment discrimination and employee rights",
                 "Wages and earnings", "Worker safety and health", "Unemployment", "Labor standards")
AI_SUBJECTS_CRS = ("Artificial intelligence", "Computers and information technology", "Technology assessment")


# corpus.py's ordinary subjects that name no work ("teacher certification" and "tipped workers" do).
NEUTRAL_SUBJECTS = [s for s in ORDINARY_SUBJECTS
                    if not any(w in s for w in ("wage", "worker", "apprentice", "teacher"))]


def names_for(kind: str) -> tuple[str, ...]:
    """The names an Act of this kind may be cited by (AI and work, AI only, work only, neither)."""
    if kind == "work":
        return AI_WORK_NAMES
    if kind == "ai":
        return AI_NAMES
    if kind in ("official", "summary", "subjects", "textwork", "workonly"):
        return WORK_NAMES
    return PLAIN_NAMES


def _date(day: date) -> str:
    return day.isoformat()


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    """A kind by its share; the shares left over go to ``plain``."""
    x = rng.random()
    for kind, share in weights.items():
        if x < share:
            return kind
        x -= share
    return "plain"


def _noise(rng: random.Random) -> list[str]:
    return [sentence for share, sentence in STEM_NOISE if rng.random() < share]


def _cap(text: str) -> str:
    return text[0].upper() + text[1:]


def _generic(rng: random.Random, agency: str, n: int) -> str:
    return " ".join(_cap(s.format(agency=agency)) for s in rng.sample(GENERIC, n))


def subject_of(rng: random.Random, kind: str) -> str:
    """What a bill is about, in corpus.py's words."""
    if kind == "work":
        return rng.choice(AI_SUBJECTS)
    if kind == "ai":
        return rng.choice(AI_OTHER_SUBJECTS)
    if kind in ("workonly", "textwork", "official", "summary", "subjects"):
        return rng.choice(("the minimum wage for tipped workers", "prevailing wage on public works",
                           "workers' compensation for first responders", "paid family and medical leave",
                           "apprenticeship programs in the building trades", "heat illness prevention"))
    return rng.choice(NEUTRAL_SUBJECTS)


def body(rng: random.Random, kind: str, subject: str, name: str, *, federal: bool) -> str:
    """A text of 200 to 400 words: short title, purpose, the operative sections, enforcement, effective date."""
    agency = rng.choice(AGENCIES if federal else STATE_AGENCIES)
    head = ("SECTION 1. SHORT TITLE.", "SEC. {}.") if federal else ("Section 1.", "Sec. {}.")
    sections = [f"{head[0]} This Act may be cited as the \"{name} Act\"."]
    purpose = f"The purpose of this Act is to address {subject}. " + _generic(rng, agency, 2)
    operative = [f"{_cap(agency)} shall carry out a program concerning {subject}. " + _generic(rng, agency, 3)]
    if kind in ("work", "official", "summary", "subjects", "textwork"):
        operative += [" ".join(rng.sample(AI_WORK_SENTENCES, 2)), rng.choice(WORK_SENTENCES)]
    elif kind == "ai":
        operative += [" ".join(rng.sample(AI_ONLY_SENTENCES, 2))]
    elif kind == "workonly":
        operative += [" ".join(rng.sample(WORK_SENTENCES, 2))]
    if kind == "passing":
        operative.append(_cap(rng.choice(PASSING_SENTENCES).format(agency=agency)))
    noise = _noise(rng)
    if noise:
        operative.append(" ".join(noise))
    operative.append(_generic(rng, agency, 2))
    sections.append(f"{head[1].format(2)} PURPOSE. {purpose}")
    for i, paragraph in enumerate(operative, start=3):
        sections.append(f"{head[1].format(i)} {paragraph}")
    sections.append(f"{head[1].format(len(operative) + 3)} ENFORCEMENT. " + _generic(rng, agency, 2))
    sections.append(f"{head[1].format(len(operative) + 4)} EFFECTIVE DATE. This Act takes effect 90 days after "
                    "the date of its enactment.")
    return "\n\n".join(sections)


def summary_text(rng: random.Random, kind: str, subject: str) -> str:
    """A CRS summary or state digest: what the bill does, in one or two sentences (AI only where the kind says)."""
    other = rng.choice(NEUTRAL_SUBJECTS)
    text = (f"{rng.choice(SUMMARY_OPENERS)} {rng.choice(SUMMARY_VERBS)} {subject}, and {rng.choice(SUMMARY_VERBS)} "
            f"{other}. It requires the agency to report to the legislature on implementation.")
    if kind == "summary":
        text += " It bars employers from relying on artificial intelligence alone to make hiring decisions."
    return text


# Federal bills ------------------------------------------------------------------------------------------------

HOUSE_COMMITTEES = ("Education and the Workforce", "Energy and Commerce", "the Judiciary", "Ways and Means",
                    "Oversight and Accountability", "Science, Space, and Technology", "Armed Services")
SENATE_COMMITTEES = ("Health, Education, Labor, and Pensions", "Commerce, Science, and Transportation",
                     "the Judiciary", "Finance", "Homeland Security and Governmental Affairs")
LATER_VERSIONS = {"h": (("rh", "Reported in House"), ("eh", "Engrossed in House"), ("rs", "Reported in Senate")),
                  "s": (("rs", "Reported in Senate"), ("es", "Engrossed in Senate"), ("rh", "Reported in House"))}


@dataclass
class FederalDraft:
    """A federal bill being written: its facts and what kind it is."""

    bill: FederalBill
    kind: str
    rng: random.Random
    subject: str


def federal_titles(rng: random.Random, kind: str, subject: str) -> tuple[str, str, list[str], str]:
    """Display title, official title, short titles and the Act's name, each naming AI only where the kind says."""
    name = rng.choice(names_for(kind))
    short = f"{name} Act of {rng.choice((2023, 2024, 2025))}"
    official = f"To provide for {subject}, and for other purposes."
    if kind == "official":
        official = ("To require employers to disclose and audit the use of artificial intelligence in hiring and "
                    "other employment decisions, and for other purposes.")
    elif kind in ("summary", "subjects", "textwork"):
        official = f"To protect workers with respect to {rng.choice(('hiring', 'scheduling', 'pay', 'discipline'))}" \
                   ", and for other purposes."
    plain_official = official.replace(", and for other purposes.", ".")
    display = short if kind == "official" or rng.random() < 0.5 else plain_official
    return display, official, [short] if kind == "official" or rng.random() < 0.7 else [], name


def federal_bill(rng: random.Random, congress: int, bill_type: str, number: int, introduced: date, kind: str,
                 end: date, summary_share: float, with_history: bool = True) -> FederalDraft:
    """One federal bill whose visible history ends by ``end``."""
    subject = subject_of(rng, kind)
    display, official, shorts, name = federal_titles(rng, kind, subject)
    house = bill_type.startswith("h")
    committee = rng.choice(HOUSE_COMMITTEES if house else SENATE_COMMITTEES)
    actions = [Action(_date(introduced), f"Referred to the {'House ' if house else ''}Committee on {committee}."
                      if house else f"Read twice and referred to the Committee on {committee}.")]
    day = introduced
    if with_history:
        for text in ("Referred to the Subcommittee on Workforce Protections.", "Committee consideration and "
                     "Mark-up Session held.", "Ordered to be Reported by Voice Vote.",
                     "Placed on the Union Calendar, Calendar No. 88."):
            day += timedelta(days=rng.randint(5, 120))
            if day > end or rng.random() < 0.55:
                break
            actions.append(Action(_date(day), text))
    text = body(rng, kind, subject, name, federal=True)
    versions = [TextVersion("ih", "Introduced in House", _date(introduced), text) if house
                else TextVersion("is", "Introduced in Senate", _date(introduced), text)]
    if with_history and len(actions) >= 4 and rng.random() < 0.5:
        later, later_name = LATER_VERSIONS["h" if house else "s"][0]
        versions.append(TextVersion(later, later_name, actions[3].date, text + "\n\nSEC. 9. TECHNICAL AMENDMENT. "
                                    + _generic(rng, "the Secretary", 1)))
    summary = None
    if with_history and rng.random() < summary_share:
        written = min(end, introduced + timedelta(days=rng.randint(20, 240)))
        summary = Summary(_date(written), summary_text(rng, kind, subject))
    elif kind == "summary" and with_history:
        summary = Summary(_date(min(end, introduced + timedelta(days=30))), summary_text(rng, kind, subject))
    if kind in ("work", "official", "summary", "workonly", "textwork", "subjects"):
        area = "Labor and Employment"
        subjects = rng.sample(WORK_SUBJECTS, 2) + rng.sample(PLAIN_SUBJECTS, 2)
    else:
        area = rng.choice(POLICY_AREAS)
        subjects = rng.sample(PLAIN_SUBJECTS, rng.randint(1, 5))
    if kind in ("subjects", "ai", "work"):
        subjects.insert(0, AI_SUBJECTS_CRS[0])
    if kind == "ai" and area == "Labor and Employment":
        area = "Science, Technology, Communications"
    bill = FederalBill(congress=congress, type=bill_type, number=number, introduced=_date(introduced),
                       display_title=display, official_title=official, short_titles=shorts, policy_area=area,
                       subjects=subjects, summary=summary, actions=actions, text_versions=versions,
                       sponsor=f"{'Rep.' if house else 'Sen.'} {rng.choice(LAST_NAMES)}, {rng.choice(FIRST_NAMES)} "
                               f"[{rng.choice('DR')}-{rng.choice(('CA', 'NY', 'TX', 'OH', 'PA', 'WA', 'GA'))}"
                               f"{'-' + str(rng.randint(1, 30)) if house else ''}]")
    return FederalDraft(bill, kind, rng, subject)


# State bills ----------------------------------------------------------------------------------------------------


def state_sessions(code: str) -> list[str]:
    """Half the jurisdictions sit in two-year sessions, half in one-year ones (as bench/upstreams.py had it)."""
    if STATES.index(code) % 2 == 0:
        return ["20232024", "20252026"]
    return ["2023", "2024", "2025", "2026"]


def session_of(code: str, year: int) -> str:
    if STATES.index(code) % 2 == 0:
        return "20232024" if year <= 2024 else "20252026"
    return str(year)


def current_session(code: str) -> str:
    return state_sessions(code)[-1]


def version_format(code: str) -> str:
    """Some legislatures publish their versions as PDF, others as HTML (two in five as PDF)."""
    return "pdf" if zlib.crc32(code.encode()) % 5 < 2 else "html"


def prefix(code: str, chamber: str) -> str:
    if code == "ne":
        return "LB"
    if code == "dc":
        return "B"
    return "HB" if chamber == "lower" else "SB"


def state_subject(rng: random.Random, kind: str) -> str:
    if kind in ("work", "textwork", "workonly"):
        return "Labor"
    if kind == "ai":
        return "Technology"
    return rng.choice(("Commerce", "Education", "Health", "Taxation", "Transportation"))


@dataclass
class StateDraft:
    bill: StateBill
    kind: str


def state_bill(rng: random.Random, code: str, year: int, number: int, introduced: date, kind: str, end: date,
               with_history: bool = True) -> StateDraft:
    """One state bill whose visible history ends by ``end``: actions, an introduced text, perhaps an amended one."""
    subject = subject_of(rng, kind)
    chamber = "legislature" if code in ("ne", "dc") else rng.choice(("lower", "upper"))
    title = f"{rng.choice(ACTIONS_ORDINARY)} {subject}"
    if kind == "textwork":
        topic = rng.choice(("employment practices", "labor standards", "the workplace"))
        title = f"{rng.choice(ACTIONS_ORDINARY)} {topic}"
    actions = []
    for a in story_actions(rng, _date(introduced), "upper" if chamber == "upper" else "lower",
                           _date(end) if with_history else _date(introduced)):
        actor = str(a["actor"])
        # The acting body: None is the bill's own chamber (a unicameral body acts for both).
        acting = "executive" if actor == "executive" else None if chamber in ("legislature", actor) else actor
        actions.append(StateAction(str(a["date"]), str(a["description"]), acting, list(a["classification"])))
    name = rng.choice(names_for(kind))
    text = body(rng, kind, subject, name, federal=False)
    fmt = version_format(code)
    versions = [StateVersion("Introduced", _date(introduced), text, fmt)]
    passed = [a for a in actions if "committee-passage" in a.classification]
    if passed:
        versions.append(StateVersion("Amended", passed[0].date, text + "\n\nSec. 9. " + _generic(
            rng, "the department", 1), fmt))
    digest = summary_text(rng, kind, subject)
    other_titles = [f"{name} Act"] if kind in ("work", "ai") and rng.random() < 0.3 else []
    bill = StateBill(jurisdiction=code, session=session_of(code, year), identifier=f"{prefix(code, chamber)} {number}",
                     title=title, chamber=chamber, other_titles=other_titles, digest=digest,
                     subjects=[state_subject(rng, kind)],
                     versions=versions, actions=actions, sponsors=[person(rng) for _ in range(rng.randint(1, 3))])
    return StateDraft(bill, kind)


# The world and its week ---------------------------------------------------------------------------------------


@dataclass
class Plan:
    """The facts of a synthetic world as of ``t0`` and of the ``days`` after it, and what each day brings."""

    t0: date
    days: int
    federal: list[FederalBill] = field(default_factory=list)
    states: list[StateBill] = field(default_factory=list)
    kinds: dict[str, str] = field(default_factory=dict)  # fact key → kind
    new_on: dict[str, int] = field(default_factory=dict)  # fact key → the day (1..days) it appears
    touched: dict[int, list[str]] = field(default_factory=dict)  # day → federal keys the Library re-stamps
    day_counts: dict[str, dict[str, int]] = field(default_factory=dict)  # "federal"/"states" → what a day brings

    def day(self, n: int) -> date:
        return self.t0 + timedelta(days=n)


def _scaled(count: int, scale: float, least: int = 0) -> int:
    return max(least, round(count * scale))


def _between(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, max(0, (end - start).days)))


def build_federal(plan: Plan, scale: float, rng: random.Random) -> None:
    end = plan.t0
    numbers: dict[tuple[int, str], int] = {}
    types, weights = list(FEDERAL_TYPES), list(FEDERAL_TYPES.values())
    drafts: list[FederalDraft] = []
    for congress, size in FEDERAL_SIZES.items():
        start = date(1789 + 2 * (congress - 1), 1, 3)
        last = min(end, date(start.year + 1, 12, 31))
        for _ in range(_scaled(size, scale, 50)):
            bill_type = rng.choices(types, weights)[0]
            numbers[congress, bill_type] = numbers.get((congress, bill_type), 0) + 1
            kind = _pick(rng, FEDERAL_KINDS)
            drafts.append(federal_bill(random.Random(rng.random()), congress, bill_type,
                                       numbers[congress, bill_type], _between(rng, start, last), kind, end,
                                       SUMMARY_SHARE[congress]))
    # The week: each day new bills, new texts, new summaries, new actions, and a bulk re-stamp.
    current = [d for d in drafts if d.bill.congress == 119]
    ai = [d for d in drafts if d.kind in ("work", "ai", "official", "summary", "subjects", "textwork")]
    counts = {k: _scaled(v, scale, 1) for k, v in FEDERAL_DAY.items()}
    counts["new bills"] = max(counts["new bills"], sum(FEDERAL_NEW.values()))
    for n in range(1, plan.days + 1):
        day = plan.day(n)
        for i in range(counts["new bills"]):
            kinds = [k for k, c in FEDERAL_NEW.items() for _ in range(c)]
            kind = kinds[i] if i < len(kinds) else ("workonly" if rng.random() < 0.1 else "plain")
            bill_type = rng.choice(("hr", "hr", "s"))
            numbers[119, bill_type] += 1
            draft = federal_bill(random.Random(rng.random()), 119, bill_type, numbers[119, bill_type], day, kind, day,
                                 0.0, with_history=False)
            drafts.append(draft)
            plan.new_on[draft.bill.key] = n
        for draft in rng.sample(current, counts["new text versions"]):
            bill = draft.bill
            if len(bill.text_versions) < 2:
                code, name = LATER_VERSIONS["h" if bill.type.startswith("h") else "s"][1]
                bill.text_versions.append(TextVersion(code, name, _date(day), bill.text_versions[0].text
                                                      + "\n\nSEC. 10. AMENDMENT. " + _generic(rng, "the Secretary", 1)))
        for draft in rng.sample(current, counts["new CRS summaries"]):
            bill = draft.bill
            if bill.summary is None and bill.introduced < _date(day):
                bill.summary = Summary(_date(day), summary_text(draft.rng, draft.kind, draft.subject))
        movers = rng.sample([d for d in ai if d.bill.congress == 119], min(len(ai), counts["actions on AI bills"]))
        movers += rng.sample(current, counts["actions on other bills"])
        for draft in movers:
            draft.bill.actions.append(Action(_date(day), rng.choice((
                "Committee Hearings Held.", "Sponsor introductory remarks on measure.",
                "Subcommittee Hearings Held.", "Ordered to be Reported in the Nature of a Substitute."))))
        plan.touched[n] = [d.bill.key for d in rng.sample(drafts, min(len(drafts), counts["bulk re-stamp"]))
                           if d.bill.introduced < _date(day)]
    plan.day_counts["federal"] = counts
    for draft in drafts:
        plan.federal.append(draft.bill)
        plan.kinds[draft.bill.key] = draft.kind


def build_states(plan: Plan, scale: float, rng: random.Random) -> None:
    end = plan.t0
    numbers: dict[tuple[str, str, str], int] = {}
    drafts: list[StateDraft] = []

    def number(code: str, session: str, chamber_prefix: str) -> int:
        key = (code, session, chamber_prefix)
        numbers[key] = numbers.get(key, 0) + 1
        return numbers[key]

    def make(code: str, year: int, introduced: date, kind: str, last: date, history: bool = True) -> StateDraft:
        local = random.Random(rng.random())
        draft = state_bill(local, code, year, 0, introduced, kind, last, history)
        bill = draft.bill
        letters = bill.identifier.split()[0]
        bill.identifier = f"{letters} {number(code, bill.session, letters)}"
        drafts.append(draft)
        return draft

    ai_kinds = {k: v * STATE_AI_SHARE for k, v in STATE_AI_KINDS.items()}
    for year, ai_count in STATE_AI_BY_YEAR.items():
        total = _scaled(ai_count / STATE_AI_SHARE, scale, 50)
        start = date(year, 1, 5)
        last = min(end, date(year, 12, 31))
        for _ in range(total):
            kind = _pick(rng, {**ai_kinds, "workonly": STATE_WORKONLY})
            code = rng.choice(STATES)
            make(code, year, min(_between(rng, start, start + timedelta(days=170)), end), kind, last)
    current = [d for d in drafts if d.bill.session == current_session(d.bill.jurisdiction)
               and d.bill.introduced < _date(end)]
    matching = [d for d in current if d.kind in STATE_AI_KINDS]
    others = [d for d in current if d.kind not in STATE_AI_KINDS]
    counts = {k: _scaled(v, scale, 1) for k, v in STATE_DAY.items()}
    counts["AI bills new"] = max(counts["AI bills new"], sum(STATE_NEW.values()))
    for n in range(1, plan.days + 1):
        day = plan.day(n)
        kinds = [k for k, c in STATE_NEW.items() for _ in range(c)]
        kinds += ["passing"] * (counts["AI bills new"] - len(kinds))
        for kind in kinds:
            code = rng.choice(STATES)
            draft = make(code, 2026, day, kind, day, history=False)
            plan.new_on[draft.bill.key] = n
        for _ in range(counts["other bills new"]):
            draft = make(rng.choice(STATES), 2026, day, "workonly" if rng.random() < STATE_WORKONLY else "plain",
                         day, history=False)
            plan.new_on[draft.bill.key] = n
        for draft in rng.sample(matching, min(len(matching), counts["AI bills changed"])) + \
                rng.sample(others, min(len(others), counts["other bills changed"])):
            bill = draft.bill
            if bill.actions and bill.actions[-1].date >= _date(day):
                continue
            bill.actions.append(StateAction(_date(day), rng.choice(("Hearing held", "Read second time",
                                                                    "Placed on calendar", "Rereferred to committee")),
                                            None, []))
            if rng.random() < 0.05:
                bill.versions.append(StateVersion(f"Amended {n}", _date(day), bill.versions[-1].text
                                                  + "\n\nSec. 10. " + _generic(rng, "the board", 1),
                                                  bill.versions[-1].format))
    plan.day_counts["states"] = counts
    for draft in drafts:
        plan.states.append(draft.bill)
        plan.kinds[draft.bill.key] = draft.kind


def make_plan(scale: float, t0: date, days: int = 7, seed: int = 11, parts: Iterable[str] = ("federal", "states")
              ) -> Plan:
    """The synthetic world at ``scale`` (1.0: 34,300 federal and 85,000 state bills) as of ``t0``, and its week."""
    plan = Plan(t0, days)
    parts = set(parts)
    if "federal" in parts:
        build_federal(plan, scale, random.Random(seed))
    if "states" in parts:
        build_states(plan, scale, random.Random(seed + 1))
    return plan


