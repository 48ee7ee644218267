"""The command line: a thin layer over :mod:`ledger.application`.

Every error is one line on stderr beginning ``error:``; exit 1 for bad input,
2 for a usage error. ``--json`` prints the contract's objects on stdout.
"""

from __future__ import annotations

import sys

import click

import ledger
from ledger.clitools import (echo_json, echo_table, echo_text, everywhere, not_future,
                             open_ledger, registered_town, run, say)
from ledger.errors import LedgerError
from ledger.projections.card import dumps
from ledger.text.cards import render_board, render_card
from ledger.text.trace import render_compare, render_diff, render_explain, render_history


@click.group()
@click.option("--db", "db", type=click.Path(dir_okay=False), default=None,
              help="The ledger file (created if missing), or a postgresql:// URL.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", expose_value=False,
              help="Language of messages and error lines (default zh).")
@click.version_option(ledger.__version__, prog_name="audit-ledger")
@click.pass_context
def cli(ctx, db):
    """audit-ledger: an immutable, event-sourced ledger of performance-evaluation findings."""
    ctx.ensure_object(dict)
    ctx.obj.setdefault("db", None)
    if db is not None:
        ctx.obj["db"] = db


@cli.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--encoding", default=None,
              help="A text file's encoding (default: detected; UTF-8, GB18030/GBK, UTF-16).")
@click.option("--sheet", default=None, help="An .xlsx file's sheet (default: the first).")
@click.option("--workers", type=click.IntRange(1, 2), default=None,
              help="2: read the file in a second process while writing; 1: one process "
                   "(default: 2 for JSON Lines files of 4 MB or more).")
@click.pass_context
def import_cmd(ctx, file, encoding, sheet, workers):
    """Import a .jsonl, .csv or .xlsx file of records, all or nothing."""
    import os
    if not os.path.isfile(file):
        raise LedgerError(f"cannot read {file}: no such file")
    with open_ledger(ctx, create=True) as lg:
        bar = None
        if sys.stderr.isatty():
            size = os.path.getsize(file) if os.path.exists(file) else 0
            bar = click.progressbar(length=size, label="importing", file=sys.stderr)
            bar.__enter__()
        try:
            n = lg.import_file(file, progress=bar.update if bar else None, encoding=encoding,
                               sheet=sheet, workers=workers)
        finally:
            if bar:
                bar.__exit__(None, None, None)
        head = lg.head() or say("（空账本）", "(empty ledger)")
        echo_text(say(f"已从 {file} 导入 {n} 条事件；链头 {head}",
                        f"imported {n} events from {file}; head {head}"))


@cli.command()
@click.option("--digest", default=None, help="SEQ:HASH printed by `head` earlier.")
@click.option("--checkpoint", "checkpoint_file", default=None, type=click.Path(dir_okay=False),
              help="A signed checkpoint taken earlier (the recommended external anchor).")
@click.option("--key", "keys", multiple=True, type=click.Path(dir_okay=False),
              help="The checkpoint signer's verifier key (.pub).")
@click.pass_context
def verify(ctx, digest, checkpoint_file, keys):
    """Check the hash chain, the append-only guards, the Merkle tree and (optionally) an
    earlier digest or signed checkpoint."""
    with open_ledger(ctx) as lg:
        n = lg.verify(digest)
        extra = say(f"；含有前缀 {digest}", f"; holds the prefix {digest}") if digest else ""
        if checkpoint_file:
            from ledger.proofs.commands import verify_checkpoint
            extra += verify_checkpoint(lg, checkpoint_file, keys)
        echo_text(say(f"ok: {n} 条事件，哈希链完好，只追加保护在位，每条事件的内容与账本自存的哈希均已核对，"
                 f"读模型与事件一致{extra}",
                 f"ok: {n} events, chain valid, append-only guards in place, every payload "
                 f"and stored hash checked, read model equal to the events{extra}"))


@cli.command()
@click.pass_context
def rebuild(ctx):
    """Rebuild the read model from the events, saying what was wrong with it."""
    with open_ledger(ctx) as lg:
        found = lg.rebuild()
        for line in found:
            echo_text(say(f"发现：{line}", f"found: {line}"))
        n = lg.head().seq if lg.head() else 0
        echo_text(say(f"已由 {n} 条事件重建读模型" + ("" if found else "；原读模型与事件一致"),
                 f"rebuilt the read model from {n} events"
                 + ("" if found else "; it matched the events")))


@cli.command()
@click.pass_context
def head(ctx):
    """Print the digest SEQ:HASH of the last event."""
    with open_ledger(ctx) as lg:
        h = lg.head()
        if h is None:
            raise LedgerError("the ledger is empty: no head yet")
        echo_text(str(h))


def _listing_options(f):
    """What the commands listing what exists (towns, periods) take."""
    f = click.option("--lang", type=click.Choice(["zh", "en"]), default="zh")(f)
    f = click.option("--json", "as_json", is_flag=True)(f)
    return click.option("--known-at", default=None)(f)


def _score_options(f):
    f = click.option("--json", "as_json", is_flag=True, help="Print the contract JSON.")(f)
    f = click.option("--lang", type=click.Choice(["zh", "en"]), default="zh")(f)
    f = click.option("--known-at", default=None, callback=not_future,
                     help="Timestamp (ISO 8601) or date.")(f)
    f = click.option("--as-of", default=None, help="Date YYYY-MM-DD (default: the end of the "
                     "period's assessment window, e.g. 2018-02-28 for 2017).")(f)
    return f


@cli.command()
@click.option("--town", required=True)
@click.option("--period", required=True)
@click.option("--rubric", default=None, help="Score under another edition (id or file).")
@click.option("--source", type=click.Choice(["city", "self"]), default="city")
@_score_options
@click.pass_context
def score(ctx, town, period, rubric, source, as_of, known_at, lang, as_json):
    """One town's score card."""
    with open_ledger(ctx) as lg:
        town = registered_town(lg, town)
        card = lg.score(town, period, as_of=as_of, known_at=known_at, rubric=rubric,
                        source=source)
        if as_json:
            echo_json(card.to_dict())
        else:
            used = lg.scoring_rubric(period, card.known_at, rubric)
            echo_table(render_card(card, used, lang))


@cli.command()
@click.option("--period", required=True)
@_score_options
@click.pass_context
def scoreboard(ctx, period, as_of, known_at, lang, as_json):
    """Every town ranked by total."""
    with open_ledger(ctx) as lg:
        board = lg.scoreboard(period, as_of=as_of, known_at=known_at)
        echo_json(board.to_dict()) if as_json else echo_table(render_board(board, lang))


@cli.command()
@click.option("--town", required=True)
@click.option("--period", required=True)
@click.option("--clause", default=None, help="Only this clause's line.")
@click.option("--rubric", default=None)
@click.option("--source", type=click.Choice(["city", "self"]), default="city")
@_score_options
@click.pass_context
def explain(ctx, town, period, clause, rubric, source, as_of, known_at, lang, as_json):
    """Why were these points deducted? The card traced to rubric sentences and events."""
    with open_ledger(ctx) as lg:
        town = registered_town(lg, town)
        tree = lg.explain(town, period, clause=clause, as_of=as_of, known_at=known_at,
                          rubric=rubric, source=source)
        echo_json(tree) if as_json else echo_table(render_explain(tree, lang))


@cli.command()
@click.option("--town", required=True)
@click.option("--period", required=True)
@click.option("--rubric", default=None)
@click.option("--source", type=click.Choice(["city", "self"]), default="city")
@_score_options
@click.pass_context
def history(ctx, town, period, rubric, source, as_of, known_at, lang, as_json):
    """The score after every event that changed it, in recording order."""
    with open_ledger(ctx) as lg:
        town = registered_town(lg, town)
        rows = [r.to_dict() for r in lg.history(town, period, as_of=as_of, known_at=known_at,
                                                rubric=rubric, source=source)]
        echo_json(rows) if as_json else echo_text(render_history(rows, lang))


@cli.command()
@click.option("--town", default=None, help="Omit to diff the whole scoreboard (rank changes).")
@click.option("--period", required=True)
@click.option("--from-known-at", default=None)
@click.option("--to-known-at", default=None)
@click.option("--from-as-of", default=None)
@click.option("--to-as-of", default=None)
@click.option("--from-rubric", default=None)
@click.option("--to-rubric", default=None)
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def diff(ctx, town, period, from_known_at, to_known_at, from_as_of, to_as_of, from_rubric,
         to_rubric, lang, as_json):
    """What changed between two known_at, two as_of or two rubric editions."""
    before = {"known_at": from_known_at, "as_of": from_as_of}
    after = {"known_at": to_known_at, "as_of": to_as_of}
    if town is not None:
        before["rubric"], after["rubric"] = from_rubric, to_rubric
    elif from_rubric or to_rubric:
        raise click.UsageError("--from-rubric/--to-rubric need --town")
    with open_ledger(ctx) as lg:
        town = registered_town(lg, town)
        # one "now" for both sides, so an unset side means the same moment
        known = lg.resolve_known_at(None)
        before["known_at"] = before["known_at"] or known
        after["known_at"] = after["known_at"] or known
        d = lg.diff(town, period, before, after)
        echo_json(d) if as_json else echo_text(render_diff(d, lang))


@cli.command()
@click.option("--town", required=True)
@click.option("--period", required=True)
@_score_options
@click.pass_context
def compare(ctx, town, period, as_of, known_at, lang, as_json):
    """Where the town's self-evaluation (自评) and the city's verification differ."""
    with open_ledger(ctx) as lg:
        town = registered_town(lg, town)
        d = lg.compare(town, period, as_of=as_of, known_at=known_at)
        if as_json:
            echo_json(d)
        else:
            used = lg.scoring_rubric(period, d["known_at"])
            bonus = frozenset(c.id for i in used.indicators if i.bonus for c in i.clauses)
            echo_text(render_compare(d, lang, bonus))


@cli.command()
@click.option("--town", default=None, help="Omit to publish the whole scoreboard.")
@click.option("--period", required=True)
@click.option("--as-of", default=None)
@click.option("--actor", default=None)
@click.option("--json", "as_json", is_flag=True)
@click.option("--sign", "sign_key", default=None, type=click.Path(dir_okay=False),
              help="With --receipt: the private key that signs the covering checkpoint.")
@click.option("--receipt", default=None, type=click.Path(dir_okay=False),
              help="Write the publication's verifiable receipt (JSON) to this file.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh")
@click.pass_context
def publish(ctx, town, period, as_of, actor, as_json, sign_key, receipt, lang):
    """Freeze a card (or the scoreboard) in the ledger; prints a receipt to keep
    (its first line is the publication id)."""
    from ledger.text.receipts import render_receipt
    if bool(sign_key) != bool(receipt):
        raise click.UsageError("--receipt FILE and --sign KEY go together")
    with open_ledger(ctx) as lg:
        town = registered_town(lg, town)
        pub = lg.publish(period, town=town, as_of=as_of, actor=actor)
        if receipt:
            from ledger.proofs.commands import write_receipt
            write_receipt(lg, pub.id, sign_key, receipt)
        echo_json(pub.to_dict()) if as_json else echo_text(render_receipt(pub, ctx.obj["db"], lang))


@cli.command()
@click.option("--period", default=None, help="Only this period's publications.")
@click.option("--json", "as_json", is_flag=True)
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh")
@click.pass_context
def publications(ctx, period, as_json, lang):
    """List the publications in the ledger (id, town, period, total, known_at, chain head)."""
    from ledger.text.receipts import render_publications
    with open_ledger(ctx) as lg:
        rows = lg.publications(period)
    echo_text(dumps(rows, indent=2) if as_json else render_publications(rows, lang))


@cli.command()
@_listing_options
@click.pass_context
def towns(ctx, known_at, as_json, lang):
    """The registered towns, in registration order."""
    from ledger.text.receipts import render_list
    with open_ledger(ctx) as lg:
        names = lg.towns(known_at)
    echo_text(dumps(names, indent=2) if as_json else render_list(names, "towns", lang))


@cli.command()
@_listing_options
@click.pass_context
def periods(ctx, known_at, as_json, lang):
    """The periods with an adopted rubric, and the rubric each uses."""
    from ledger.text.receipts import render_list
    with open_ledger(ctx) as lg:
        found = [{"period": p, "rubric": lg.rubric_for(p, known_at).id}
                 for p in lg.periods(known_at)]
    echo_text(dumps(found, indent=2) if as_json else render_list(
        [f"{f['period']}  ({f['rubric']})" for f in found], "periods", lang))


@cli.command()
@click.argument("publication_id")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def reproduce(ctx, publication_id, as_json):
    """Recompute a publication from the ledger alone; exit 1 unless the hash matches.

    PUBLICATION_ID may also be a receipt: the verifiable one `publish --receipt` writes
    (JSON), or the text one `publish` prints (its first line is the id)."""
    import os
    receipt_sha = None
    if os.path.isfile(publication_id) and not publication_id.startswith("pub-"):
        with open(publication_id, encoding="utf-8", errors="replace") as fh:
            first = fh.readline().strip()
        if first.startswith("{"):
            from ledger.proofs.commands import receipt_publication
            publication_id, receipt_sha = receipt_publication(publication_id)
        else:
            publication_id = first
    with open_ledger(ctx) as lg:
        r = lg.reproduce(publication_id)
    if receipt_sha is not None and receipt_sha != r.published_sha256:
        raise LedgerError(f"the receipt's sha256 {receipt_sha} is not the one publication "
                          f"{r.id} froze ({r.published_sha256})")
    if as_json:
        echo_json(r.to_dict())
    elif r.matches:
        echo_text(say(f"ok: {r.id} 已复现，sha256 {r.sha256}",
                        f"ok: {r.id} reproduced, sha256 {r.sha256}"))
    if not r.matches:
        raise LedgerError(f"{r.id} does not reproduce: published sha256 {r.published_sha256}, "
                          f"recomputed {r.sha256}")


@cli.command()
@click.option("--period", required=True)
@click.option("--id", "event_id", default=None, help="Event id (default close-PERIOD).")
@click.option("--actor", default=None)
@click.pass_context
def close(ctx, period, event_id, actor):
    """Close a period: findings then come only through appeal decisions."""
    with open_ledger(ctx) as lg:
        done = lg.close_period(period, event_id, actor)
        echo_text(say(f"{period} 年度已关账（{done}）", f"closed {period} ({done})"))


@cli.command("export")
@click.option("--period", required=True)
@click.option("--format", "fmt", required=True,
              type=click.Choice(["html", "xlsx", "csv", "json"]),
              help="html: printable A4 report; xlsx: 总表 + one sheet per town; "
                   "csv: one row per clause line and one total row per town (UTF-8 with BOM); "
                   "json: scoreboard + cards.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="The file to write (replaced if it exists).")
@click.option("--as-of", default=None, help="Date YYYY-MM-DD (default: period end).")
@click.option("--known-at", default=None, callback=not_future,
              help="Timestamp (ISO 8601) or date (default: the ledger as it stands).")
@click.option("--town", default=None, help="Only this town's card (a file to hand to the town).")
@click.option("--source", type=click.Choice(["city", "self"]), default="city")
@click.pass_context
def export_cmd(ctx, period, fmt, output, as_of, known_at, town, source):
    """Write the scoreboard and every town's traced card to one file (prints its path)."""
    from ledger.exports import export
    with open_ledger(ctx) as lg:
        town = registered_town(lg, town)
        path = export(lg, period, fmt, output, as_of=as_of, known_at=known_at, town=town,
                      source=source)
    echo_text(str(path))


def _more_commands() -> None:
    from ledger import cli_setup
    from ledger.proofs.commands import COMMANDS
    for command in [*cli_setup.COMMANDS, *COMMANDS]:
        cli.add_command(command)


_more_commands()


everywhere(cli)


def main(argv=None) -> int:
    """Run the command line on ``argv`` (default: ``sys.argv``); returns the exit status."""
    return run(cli, sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    sys.exit(main())
