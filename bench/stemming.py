"""What PostgreSQL's English stemming does to the AI phrases the openstates spider sends: words joined, bills added.

Open States matches ``q`` with ``websearch_to_tsquery('english', q)``: every
word is cut to its Snowball stem, so a quoted phrase finds more than its
words as written ("generative" is 'generat', as are "generated" and
"generation"; "automation" is 'autom', as is "automated"). Every extra bill
a phrase brings costs requests of the key's 250 a day, and topics.yml's
``search_narrower`` exists to replace such a phrase by narrower ones. This
measures, for every phrase ``Taxonomy.bill_search_phrases()`` sends:

1. the words of a vocabulary (the recall fixtures' texts, bench/corpus.py's
   story texts and the sentence pools of bench/synthetic.py, the titles of
   tests/fixtures/relevance/) that share a stem with one of the phrase's
   words while the phrase, matched as the classifier matches it (plurals and
   possessives allowed), would not match them;
2. over the synthetic state corpus the emulator serves, how many bills the
   phrase's query finds with stemming, how many hold the phrase as written
   (the blow-up), and what the extra bills of a day of changes cost in
   requests (pages of 20, per query of 20 phrases as the spider groups them).

    python bench/stemming.py [--scale 1.0]
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # not bench/: its site.py would shadow the standard library module

import yaml  # noqa: E402

from ailabor.relevance import MAX_SEARCH_PHRASES, Taxonomy, _standalone, load_taxonomy  # noqa: E402
from ailabor.testing.emulators import Dataset, Options  # noqa: E402
from ailabor.testing.emulators.common import pg_text  # noqa: E402
from ailabor.testing.emulators.textsearch import lexeme, websearch_to_tsquery  # noqa: E402
from bench import corpus, synthetic  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"
_WORD = re.compile(r"[^\W\d_]+")


def _strings(value: object) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def vocabulary() -> set[str]:
    """Every word of the recall fixtures' texts, the bench's story texts and the relevance fixtures' titles."""
    texts: list[str] = []
    skip = {"sources", "note", "cases", "sponsor", "cosponsors", "sponsors"}
    for path in sorted((FIXTURES / "recall").glob("*.yml")):
        for entry in yaml.safe_load(path.read_text()) or []:
            texts += [s for k, v in entry.items() if k not in skip for s in _strings(v)]
    for path in sorted((FIXTURES / "relevance").glob("*.yml")):
        texts += [str(e.get("title") or "") for e in yaml.safe_load(path.read_text()) or [] if isinstance(e, dict)]
    texts += corpus.AI_SUBJECTS + corpus.AI_OTHER_SUBJECTS + corpus.ORDINARY_SUBJECTS + corpus.ACTIONS_ORDINARY
    texts += corpus.SUMMARY_OPENERS + corpus.SUMMARY_VERBS
    texts += [s for _, s in synthetic.STEM_NOISE] + list(synthetic.GENERIC + synthetic.AI_WORK_SENTENCES
                                                         + synthetic.AI_ONLY_SENTENCES + synthetic.WORK_SENTENCES
                                                         + synthetic.PASSING_SENTENCES)
    return {w.lower() for text in texts for w in _WORD.findall(text)}


@dataclass
class PhraseStems:
    """A phrase, the vocabulary words its stems join to it, and what that does over the state corpus.

    ``written`` is the phrase as topics.yml writes it (``robot*``), which is how the classifier matches it;
    the search sends it without the star.
    """

    phrase: str
    written_as: str
    siblings: list[str]
    stemmed: int = 0  # bills the phrase's query finds
    written: int = 0  # of those, bills holding the phrase as written
    day_stemmed: float = 0.0  # the same among the bills a day changes (mean over the days given)
    day_written: float = 0.0

    @property
    def blow_up(self) -> float:
        return self.stemmed / self.written if self.written else math.inf


def siblings(written_as: str, words: set[str]) -> list[str]:
    """Words sharing a stem with one of the phrase's words that the phrase, as the classifier reads it, misses."""
    out = set()
    for word in written_as.replace("-", " ").replace(",", " ").split():
        stem = lexeme(word.rstrip("*"))
        if stem is None:
            continue  # a stop word: no lexeme, only a gap
        as_written = _standalone(word.lower())
        out |= {w for w in words if lexeme(w) == stem and not as_written.fullmatch(w)}
    return sorted(out)


def written_forms(tax: Taxonomy) -> dict[str, str]:
    """Each phrase the bill searches send, to the phrase as topics.yml writes it (with its star, if any)."""
    written = [*tax.ai_phrases, *tax.more_ai_phrases, *tax.replica_phrases,
               *(p for narrower in tax.search_narrower.values() for p in narrower)]
    return {" ".join(w.rstrip("*") for w in p.split()): p for p in written}


def stem_table(tax: Taxonomy, words: set[str]) -> list[PhraseStems]:
    forms = written_forms(tax)
    rows = []
    for phrase in tax.bill_search_phrases():
        written_as = forms.get(phrase, phrase)
        rows.append(PhraseStems(phrase, written_as, siblings(written_as, words)))
    return rows


def replaced_table(tax: Taxonomy, words: set[str]) -> list[PhraseStems]:
    """The phrases topics.yml's ``search_narrower`` keeps out of the searches, as if they were sent."""
    forms = {" ".join(w.rstrip("*") for w in p.split()): p
             for p in [*tax.ai_phrases, *tax.more_ai_phrases, *tax.replica_phrases]}
    return [PhraseStems(phrase, forms.get(phrase, phrase), siblings(forms.get(phrase, phrase), words))
            for phrase in tax.search_narrower]


def measure_corpus(dataset: Dataset, rows: list[PhraseStems], since: datetime | None = None, days: int = 1
                   ) -> dict[str, float]:
    """Bills each phrase finds with stemming and as written, over the searchable state bills, and per day of
    changes (the bills updated after ``since``, divided by ``days``); returns the extra requests a day per query."""
    index = dataset.state_index()
    since_text = pg_text(since) if since else None
    changed = {s.n for s in dataset.states if s.visible and since_text and s.updated_text > since_text}
    found: dict[str, tuple[set[int], set[int]]] = {}
    for row in rows:
        node = websearch_to_tsquery(f'"{row.phrase}"')
        stemmed = index.search(node) if node is not None else set()
        pattern = _standalone(row.written_as)
        written = {n for n in stemmed if pattern.search(dataset.state_document(n))}
        found[row.phrase] = (stemmed, written)
        row.stemmed, row.written = len(stemmed), len(written)
        row.day_stemmed = len(stemmed & changed) / max(1, days)
        row.day_written = len(written & changed) / max(1, days)
    extra: dict[str, float] = {}
    phrases = [row.phrase for row in rows]
    for i in range(0, len(phrases), MAX_SEARCH_PHRASES):
        group = phrases[i:i + MAX_SEARCH_PHRASES]
        stemmed = set().union(*(found[p][0] for p in group)) & changed
        written = set().union(*(found[p][1] for p in group)) & changed
        pages = math.ceil(len(stemmed) / max(1, days) / 20) - math.ceil(len(written) / max(1, days) / 20)
        extra[f"query {i // MAX_SEARCH_PHRASES + 1}"] = pages
    return extra


def report(rows: list[PhraseStems], extra: dict[str, float], days: int) -> None:
    shown = [r for r in rows if r.siblings]
    print(f"Stemming: {len(shown)} of the {len(rows)} phrases sent to Open States share a stem with words of the "
          "vocabulary that they do not match as written (topics.yml's rule: plurals and possessives, a star's "
          "endings)")
    print()
    print("| phrase sent | words its stems join to it | bills found, stemmed | bills holding the phrase as written "
          "| blow-up | extra bills a day | extra requests a day |")
    print("|---|---|---|---|---|---|---|")
    quiet = []
    for r in sorted(shown, key=lambda r: (-(r.stemmed - r.written), -r.stemmed)):
        if not r.stemmed:
            quiet.append(r)
            continue
        words = ", ".join(r.siblings[:8]) + (f" (+{len(r.siblings) - 8})" if len(r.siblings) > 8 else "")
        blow = "none as written" if not r.written else f"{r.blow_up:.2f}x"
        extra_day = r.day_stemmed - r.day_written
        print(f"| {r.phrase} | {words} | {r.stemmed:,} | {r.written:,} | {blow} | {extra_day:.1f} "
              f"| {extra_day / 20:.2f} |")
    print()
    if quiet:
        print(f"phrases with stem siblings that find no synthetic bill: {'; '.join(r.phrase for r in quiet)}")
    print("(a stop word leaves a gap that any stop word fills: \"voice and likeness\" also finds \"voice or "
          "likeness\", counted in its blow-up)")
    total = sum(extra.values())
    print(f"extra requests a day from stemming, by query of {MAX_SEARCH_PHRASES} phrases (pages of 20 over a day's "
          f"changed bills, mean of {days} day(s), rounded up as pages are): "
          f"{', '.join(f'{k} {v:.0f}' for k, v in extra.items())}; total {total:.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="size of the synthetic state corpus")
    parser.add_argument("--days", type=int, default=3, help="days of changes to average over")
    args = parser.parse_args()
    start = time.perf_counter()
    t0 = date.today().replace(day=1)
    plan = synthetic.make_plan(args.scale, t0, days=args.days, parts=("states",))
    dataset = Dataset([], plan.states, as_of=t0, options=Options.known_gaps())
    dataset.warm()
    moment = dataset.now()
    for n in range(1, args.days + 1):
        dataset.advance(plan.day(n))
    rows = stem_table(load_taxonomy(), vocabulary())
    extra = measure_corpus(dataset, rows, moment, args.days)
    print(f"{len(plan.states):,} synthetic state bills (scale {args.scale}), {time.perf_counter() - start:.0f}s\n")
    report(rows, extra, args.days)


if __name__ == "__main__":
    main()
