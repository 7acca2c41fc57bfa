"""The ``ailabor`` command: thin wrappers that parse arguments and call the functions that do the work."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import click
import sqlite_utils

import db
from ailabor.config import ConfigError


class Failure(click.ClickException):
    """A one-line error for a person: what went wrong and what to do, never a traceback."""

    def show(self, file=None) -> None:  # type: ignore[no-untyped-def]
        click.echo(f"ailabor: {self.message}", err=True)


def _db_option(func):  # type: ignore[no-untyped-def]
    return click.option("--db", "db_file", type=click.Path(dir_okay=False), default=None,
                        help="The working database (default: $AILABOR_DB or db/tracker.db).")(func)


@click.group()
@click.version_option(package_name="ailabor")
def cli() -> None:
    """AI Labor Watch: bills and agency meetings on AI and work, collected, classified and published."""


@cli.command()
@_db_option
def init(db_file: str | None) -> None:
    """Create the database, or bring an existing one up to the current schema. Safe to repeat."""
    database = _create(db_file)
    click.echo(f"database ready: {db.db_path(db_file)} ({len(database.table_names())} tables)")


def _create(db_file: str | None) -> sqlite_utils.Database:
    """What `init` does: the one place that may make a new working database, which it then reads whole."""
    database = db.connect(db_file, create=True)
    db.check_integrity(database)
    return database


@cli.command()
@click.argument("sources", nargs=-1)
@_db_option
def crawl(sources: tuple[str, ...], db_file: str | None) -> None:
    """Crawl SOURCES (default: all) once and print one line per source.

    Exits non-zero when a source failed. A source without its API key is
    skipped with a line that says where to get one.
    """
    from ailabor.crawl import UnknownSource, run_crawls

    try:
        summaries = run_crawls(list(sources), db_file)
    except (UnknownSource, ConfigError) as exc:
        raise Failure(str(exc)) from exc
    for summary in summaries:
        click.echo(summary.line())
    if any(s.status == "failed" for s in summaries):
        sys.exit(1)


@cli.command()
@_db_option
def status(db_file: str | None) -> None:
    """The last run of each source, with its counts, and what the database holds."""
    from ailabor.health import status_report

    click.echo(status_report(db.connect(db_file)))


@cli.command()
@_db_option
@click.option("--snapshot", type=click.Path(dir_okay=False), default=None,
              help="Where to write the snapshot (default: $AILABOR_SNAPSHOT, else public/tracker.db beside the"
                   " working database).")
def publish(db_file: str | None, snapshot: str | None) -> None:
    """Copy the working database to the snapshot that the public face serves."""
    from ailabor.site.publish import publish as do_publish

    click.echo(f"published {do_publish(db_file, snapshot)}")


def _serve_options(func):  # type: ignore[no-untyped-def]
    func = click.option("--public", is_flag=True,
                        help="Serve the members' face: the published snapshot, no arbitrary SQL.")(func)
    func = click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")(func)
    func = click.option("--port", default=8001, show_default=True, type=int, help="Port to listen on.")(func)
    return func


def _serve(db_file: str | None, public: bool, host: str, port: int) -> None:
    from ailabor.site.faces import serve as run_site
    from ailabor.site.publish import check_snapshot
    from ailabor.site.publish import publish as do_publish

    if public:
        target = db.snapshot_path(working=db_file)
        if not target.exists():
            do_publish(db_file)
        check_snapshot(target)
    else:
        target = db.db_path(db_file)
        db.connect(db_file).close()
    face = "members' (public)" if public else "director's"
    click.echo(f"serving the {face} site for {target} at http://{host}:{port}/")
    run_site(target, public=public, host=host, port=port)


@cli.command()
@_db_option
@_serve_options
def serve(db_file: str | None, public: bool, host: str, port: int) -> None:
    """Serve the site with Datasette (the director's face unless --public)."""
    _serve(db_file, public, host, port)


@cli.command()
@_db_option
@_serve_options
def up(db_file: str | None, public: bool, host: str, port: int) -> None:
    """The main job: create the database, crawl every source that can run, publish, serve."""
    from ailabor.crawl import run_crawls
    from ailabor.site.publish import publish as do_publish

    _create(db_file).close()
    for summary in run_crawls([], db_file):
        click.echo(summary.line())
    do_publish(db_file)
    _serve(db_file, public, host, port)


@cli.command()
@click.option("--db", "db_file", type=click.Path(dir_okay=False), default=str(db.DB_DIR / "demo" / "tracker.db"),
              show_default=True, help="Where to build the demo database.")
@click.option("--serve/--no-serve", "then_serve", default=True, help="Serve the demo site afterwards.")
@_serve_options
def demo(db_file: str, then_serve: bool, public: bool, host: str, port: int) -> None:
    """Build a database from recorded upstream responses shipped in the repo (no network), then serve it."""
    from ailabor.demo import build_demo

    for line in build_demo(Path(db_file)):
        click.echo(line)
    if then_serve:
        _serve(db_file, public, host, port)


@cli.command()
@_db_option
@click.option("--jsonl", "jsonl", is_flag=False, flag_value="-", default=None, metavar="[FILE]",
              help="Classify JSON lines (title, summary, subjects) from FILE or standard input, without storing.")
@click.option("--eval", "eval_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Print precision, recall and the misclassified items of a labelled YAML list.")
@click.option("--topics", "topics_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Use this taxonomy instead of topics.yml (to try an edit before applying it).")
def classify(db_file: str | None, jsonl: str | None, eval_file: str | None, topics_file: str | None) -> None:
    """Re-classify every stored bill and meeting after topics.yml changed, and say how many changed.

    With --jsonl or --eval nothing stored is touched: they try a taxonomy out.
    """
    from ailabor.classify import classify_lines, reclassify
    from ailabor.relevance import TaxonomyError, evaluate, load_labelled, load_taxonomy

    try:
        taxonomy = load_taxonomy(topics_file)
    except TaxonomyError as exc:
        raise Failure(str(exc)) from exc
    if jsonl is not None:
        with click.open_file(jsonl) as lines:
            for out in classify_lines(lines, taxonomy):
                click.echo(out)
        return
    if eval_file:
        click.echo(evaluate(taxonomy, load_labelled(eval_file)).format())
        return
    click.echo(reclassify(db.connect(db_file), taxonomy).line())


@cli.command()
@click.argument("item_id")
@click.option("--relevant", type=click.Choice(["yes", "no", "auto"]), required=True,
              help="yes or no forces the item in or out; auto hands it back to the classifier.")
@click.option("--note", default=None, help="Why, for the record.")
@_db_option
def override(item_id: str, relevant: str, note: str | None, db_file: str | None) -> None:
    """Force a bill or meeting in or out of the watch; survives re-crawls and re-classification."""
    from ailabor.classify import UnknownItem, set_override
    from ailabor.relevance import load_taxonomy

    try:
        line = set_override(db.connect(db_file), item_id, {"yes": True, "no": False, "auto": None}[relevant], note,
                            load_taxonomy())
    except UnknownItem as exc:
        raise Failure(str(exc)) from exc
    click.echo(line)


@cli.command()
@click.argument("bill_id")
@click.option("--stance", required=True, help="The union's stance: support, oppose, watch or neutral.")
@click.option("--priority", default=None,
              help="high, medium or low (default: keep the recorded one, or medium).")
@click.option("--note", default=None, help="A note for the director's digest; --note '' clears it.")
@_db_option
def position(bill_id: str, stance: str, priority: str | None, note: str | None, db_file: str | None) -> None:
    """Record the union's position on BILL_ID (an id such as ca-20252026-ab1018, or a number such as
    "CA AB 1018"); the bill is then watched. A bill not stored yet is fetched from its upstream first."""
    from ailabor.positions import PositionRefused, UnknownBill, set_position
    from ailabor.watch import BadReference, WatchFailed, follow

    try:
        recorded = set_position(db.connect(db_file), bill_id, stance, priority, note)
    except UnknownBill as exc:
        try:
            found = follow(db_file, bill_id)
            recorded = set_position(db.connect(db_file), found.bill_id or bill_id, stance, priority, note)
            # The fetch gave the new bill a watch position; this is still the first one the director records.
            recorded = dataclasses.replace(recorded, created=True)
        except BadReference:
            raise Failure(str(exc)) from exc
        except (WatchFailed, PositionRefused) as failed:
            raise Failure(str(failed)) from failed
    except PositionRefused as exc:
        raise Failure(str(exc)) from exc
    click.echo(recorded.line())


@cli.command()
@click.argument("bill", required=False)
@click.option("--note", default=None, help="Why, for the record (kept off the public site).")
@click.option("--list", "list_only", is_flag=True, help="Print the watchlist.")
@click.option("--remove", is_flag=True, help="Take BILL off the watchlist (its position and data stay).")
@_db_option
def watch(bill: str | None, note: str | None, list_only: bool, remove: bool, db_file: str | None) -> None:
    """Follow BILL by hand, whatever the classifier says: "CA AB 2602", "H.R. 2794", "CO SB 24-205" or an id
    such as us-119-hr2794. It is fetched now from Congress.gov or Open States, stored, given a watch
    position, and kept fresh on every run."""
    from ailabor import watch as watchlist

    database = db.connect(db_file)
    if list_only:
        for line in watchlist.listing(database) or ["the watchlist is empty"]:
            click.echo(line)
        return
    if not bill:
        raise Failure("name a bill, such as \"CA AB 2602\" or us-119-hr2794 (or --list)")
    try:
        if remove:
            reference = watchlist.parse_reference(bill)
            gone = watchlist.remove(database, reference)
            click.echo(f"{reference.ref}: {'taken off the watchlist' if gone else 'was not on the watchlist'}")
            return
        found = watchlist.follow(db_file, bill, note)
    except (watchlist.BadReference, watchlist.WatchFailed) as exc:
        raise Failure(str(exc)) from exc
    title = database.execute("SELECT title FROM bills WHERE id = ?", [found.bill_id]).fetchone()
    click.echo(f"watching {found.ref} ({found.bill_id}): {title[0] if title else ''}; kept fresh on every run")


@cli.command()
@click.argument("name")
@click.option("--dry-run", is_flag=True, help="Print the digest; send nothing, record nothing.")
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="Also write the message to this .eml file (a mail program opens it).")
@_db_option
def digest(name: str, dry_run: bool, out: str | None, db_file: str | None) -> None:
    """Email the digest NAME of digests.yml: what changed since it was last sent, and what is coming up.

    Exits 0 when sent or when there was nothing to send; non-zero, with one
    line saying why, when the mail server did not take it (the next run
    sends it then). A recipient the server refused gets that digest on the
    next run, alone: a line says so for each.
    """
    from ailabor.digest.run import run_digest
    from ailabor.digest.send import DigestFailed

    try:
        outcome = run_digest(name, db_file, dry_run=dry_run, out=out)
    except (ConfigError, DigestFailed) as exc:
        raise Failure(str(exc)) from exc
    if outcome.preview:
        click.echo(outcome.preview)
    for line in outcome.retries:
        click.echo(line)
    click.echo(outcome.line)


@cli.command()
@_db_option
@click.option("--schedule", "schedule_file", type=click.Path(dir_okay=False), default=None,
              help="The schedule (default: $AILABOR_SCHEDULE or schedule.yml in the repository).")
@click.option("--list", "list_only", is_flag=True, help="Print each job and its next run times, then exit.")
@click.option("--once", is_flag=True, help="Run every job now, one after the other; exit 1 if one failed (for cron).")
def schedule(db_file: str | None, schedule_file: str | None, list_only: bool, once: bool) -> None:
    """Crawl every source on its schedule (schedule.yml) until stopped, publishing after each crawl.

    The same as `python scheduler.py`. Each crawl runs as its own process (or
    as a Scrapyd job, with `runner: scrapyd` in schedule.yml) and is killed at
    its timeout; SIGTERM or Ctrl-C stops the running crawls and records them
    as failed.
    """
    from ailabor.schedule.service import SchedulerBusy, run_schedule

    try:
        code = run_schedule(schedule_file, db_file, list_only=list_only, once=once, echo=click.echo)
    except (ConfigError, SchedulerBusy, db.UnusableDatabase) as exc:
        raise Failure(str(exc)) from exc
    sys.exit(code)


def main() -> None:
    """Run the command; a mistake in a file or an argument ends in one line that says what to fix."""
    from ailabor.relevance import TaxonomyError

    try:
        cli(prog_name="ailabor", standalone_mode=True)
    except (TaxonomyError, ConfigError) as exc:
        click.echo(f"ailabor: {exc}", err=True)
        sys.exit(2)
    except db.UnusableDatabase as exc:
        click.echo(f"ailabor: {exc}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
