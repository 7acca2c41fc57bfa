"""Re-applying topics.yml to everything stored, trying an edit first, and the director's overrides.

The pipeline classifies each item as it is stored; these functions are for
the moments in between: after the director edits topics.yml, before she
applies an edit, and when she knows better than the classifier.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from ailabor.dates import utcnow
from ailabor.relevance import Classification, Taxonomy
from ailabor.store.changes import topic_rows, topic_tuples
from ailabor.store.texts import LATEST_TEXT, json_list
from ailabor.store.writer import save_topics
from db import write_transaction

# table, its topics table, the key column there, and the columns the classifier reads
_KINDS = (
    ("bills", "bill_topics", "bill_id",
     f"title, other_titles, summary, subjects, ({LATEST_TEXT.format(bill='bills.id')})"),
    ("meetings", "meeting_topics", "meeting_id", "title, abstract, agency"),
)
BATCH = 2000


class UnknownItem(ValueError):
    """An id that names no stored bill or meeting."""


@dataclass
class ReclassifyResult:
    total: int = 0
    became_relevant: int = 0
    dropped: int = 0
    retagged: int = 0

    @property
    def changed(self) -> int:
        return self.became_relevant + self.dropped

    def line(self) -> str:
        return (f"classified {self.total} items: {self.changed} changed relevance "
                f"({self.became_relevant} now relevant, {self.dropped} no longer), "
                f"{self.retagged} with different topics")


def _judge(taxonomy: Taxonomy, table: str, columns: tuple[Any, ...]) -> Classification:
    """The verdict on a stored row, read from the columns of its _KINDS entry."""
    if table == "meetings":
        title, abstract, agency = columns
        return taxonomy.classify(title, abstract, [agency] if agency else [])
    title, other_titles, summary, subjects, text = columns
    return taxonomy.classify_bill(title, json_list(other_titles), summary, json_list(subjects), text)


def reclassify(database: sqlite_utils.Database, taxonomy: Taxonomy) -> ReclassifyResult:
    """Classify every stored bill and meeting again; overrides still decide where they exist."""
    result = ReclassifyResult()
    save_topics(database, taxonomy)
    overrides = dict(database.execute("SELECT item_id, relevant FROM overrides").fetchall())
    for table, topics_table, key, columns in _KINDS:
        stored: dict[str, list[tuple[Any, ...]]] = {}
        for item_id, *tag in database.execute(
                f"SELECT {key}, topic, score, matched, found_in FROM {topics_table} ORDER BY {key}, topic").fetchall():
            stored.setdefault(item_id, []).append(tuple(tag))
        rows = database.execute(f"SELECT id, relevant, relevance_score, {columns} FROM {table}")
        for batch in _chunks(rows, BATCH):
            with write_transaction(database):
                for item_id, was_relevant, old_score, *read in batch:
                    result.total += 1
                    found = _judge(taxonomy, table, tuple(read))
                    relevant = overrides.get(item_id, int(found.relevant))
                    tags = topic_tuples(found.topics)
                    if relevant != was_relevant or found.score != old_score:
                        database.execute(f"UPDATE {table} SET relevant = ?, relevance_score = ? WHERE id = ?",
                                         [relevant, found.score, item_id])
                    if relevant and not was_relevant:
                        result.became_relevant += 1
                    elif was_relevant and not relevant:
                        result.dropped += 1
                    if tags != stored.get(item_id, []):
                        result.retagged += 1
                        database.execute(f"DELETE FROM {topics_table} WHERE {key} = ?", [item_id])
                        if tags:
                            database[topics_table].insert_all(topic_rows(key, item_id, tags))
    slugs = [t.slug for t in taxonomy.topics]
    with write_transaction(database):
        database.execute(f"DELETE FROM topics WHERE slug NOT IN ({','.join('?' for _ in slugs)})", slugs)
    return result


def _chunks(rows: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def set_override(database: sqlite_utils.Database, item_id: str, relevant: bool | None, note: str | None,
                 taxonomy: Taxonomy) -> str:
    """Force a bill or meeting in or out (``relevant=None`` hands it back to the classifier)."""
    table = next((t for t, *_ in _KINDS if database[t].count_where("id = ?", [item_id])), None)
    if table is None:
        raise UnknownItem(f"no bill or meeting has the id {item_id!r}; ids look like us-119-hr1234 or fr-2024-00116")
    with write_transaction(database):
        if relevant is None:
            database.execute("DELETE FROM overrides WHERE item_id = ?", [item_id])
            columns = next(k for k in _KINDS if k[0] == table)[3]
            read = database.execute(f"SELECT {columns} FROM {table} WHERE id = ?", [item_id]).fetchone()
            value = int(_judge(taxonomy, table, tuple(read)).relevant)
        else:
            value = int(relevant)
            database["overrides"].upsert(
                {"item_id": item_id, "relevant": value, "note": note, "updated_at": utcnow()}, pk="item_id")
        database.execute(f"UPDATE {table} SET relevant = ? WHERE id = ?", [value, item_id])
    state = {None: "left to the classifier", True: "forced relevant", False: "forced not relevant"}[relevant]
    return f"{item_id}: {state} (relevant = {value})"


def classify_lines(lines: Iterable[str], taxonomy: Taxonomy) -> Iterator[str]:
    """JSON lines in (title, summary, subjects), JSON lines out (relevant, score, topics, matched)."""
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if not isinstance(item, dict):
                raise ValueError("not a JSON object")
            subjects = item.get("subjects") or []
            found = taxonomy.classify(item.get("title"), item.get("summary"),
                                      subjects if isinstance(subjects, list) else [str(subjects)])
            yield json.dumps(found.as_dict(), ensure_ascii=False)
        except (ValueError, TypeError) as exc:
            yield json.dumps({"error": f"line {number}: {exc}"})
