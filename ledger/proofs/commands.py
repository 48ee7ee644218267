"""The proof commands of the CLI (``keygen``, ``checkpoint``, ``prove``, ``check``,
``packet``): a thin click layer over :mod:`ledger.proofs`, registered by
:mod:`ledger.cli`. Errors are LedgerErrors, printed as one ``error:`` line."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from ledger.errors import LedgerError
from ledger.proofs import note as notes
from ledger.proofs import checkpoint as checkpoints
from ledger.proofs import service
from ledger.proofs.files import check_proof


KEY_HINT = {".key": "; keygen prints the paths it writes: give its .key file",
            ".pub": "; keygen prints the paths it writes: give its .pub file"}


def read_text(path: str, what: str, hint: str = "") -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LedgerError(f"cannot read {what} {path}: no such file{hint}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise LedgerError(f"cannot read {what} {path}: {exc}") from None


def is_path_name(name: str) -> bool:
    """A keygen NAME that is a path (absolute, or starting ``./``, ``../`` or ``~``) rather
    than a key name (``bureau.example/ledger``, whose '/' becomes '_' in the file names).

    >>> [is_path_name(n) for n in ("/tmp/k1", "./k1", "~/keys/k1", "bureau.example/ledger")]
    [True, True, True, False]
    """
    return name.startswith(("/", "./", "../", "~")) or name in (".", "..")


def key_files(name: str, directory: str | None = None) -> tuple[Path, str]:
    """Where ``keygen NAME`` writes (the path without .key/.pub) and the key's name.

    >>> key_files("bureau.example/ledger")
    (PosixPath('bureau.example_ledger'), 'bureau.example/ledger')
    >>> key_files("/tmp/keys/k1.key")
    (PosixPath('/tmp/keys/k1'), 'k1')
    """
    if is_path_name(name):
        stem = Path(name).expanduser()
        if stem.suffix in (".key", ".pub"):
            stem = stem.with_suffix("")
        return stem, stem.name
    return Path(directory or ".") / name.replace("/", "_"), name


def key_path(given: str, suffix: str) -> str:
    """The key file a ``--sign``/``--key`` value names: the file itself, or what keygen
    wrote for that NAME (``/tmp/k1`` -> ``/tmp/k1.key``; ``bureau.example/ledger`` ->
    ``bureau.example_ledger.key``)."""
    if Path(given).expanduser().is_file():
        return str(Path(given).expanduser())
    stem = key_files(given)[0] if not given.endswith(suffix) else None
    if stem is not None and Path(f"{stem}{suffix}").is_file():
        return f"{stem}{suffix}"
    return given


def read_signer(path: str) -> notes.Signer:
    return notes.parse_signer(read_text(key_path(path, ".key"), "private key", KEY_HINT[".key"]))


def read_verifiers(paths) -> list[notes.Verifier]:
    return [notes.parse_verifier(read_text(key_path(p, ".pub"), "verifier key", KEY_HINT[".pub"]))
            for p in paths]


def write_text(path: str | None, text: str, private: bool = False) -> None:
    if path is None:
        click.echo(text, nl=False)
        return
    try:
        if private:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
        else:
            Path(path).write_text(text, encoding="utf-8")
    except FileExistsError:
        raise LedgerError(f"{path} exists: a key is never overwritten; choose another name") from None
    except OSError as exc:
        raise LedgerError(f"cannot write {path}: {exc}") from None


def _open(ctx, create: bool = False):
    import ledger
    path = ctx.obj["db"]
    if path is None:
        raise click.UsageError("--db PATH is required for this command")
    return ledger.open(path, create=create)


def verify_checkpoint(lg, path: str, keys) -> str:
    """``verify --checkpoint``: the ledger still holds the signed tree (signature checked
    with ``keys``; without a key only the tree is checked, and the message says so)."""
    text = read_text(path, "checkpoint")
    if keys:
        verified = checkpoints.parse(text, read_verifiers(keys))
        cp, signed = verified.checkpoint, f" signed by {', '.join(verified.signed_by)}"
    else:
        cp, signed = checkpoints.parse_text(notes.split(text)[0]), " (signature not checked: give --key)"
    service.check_against_ledger(lg, cp)
    return f"; holds the tree of checkpoint {cp.origin} {cp.size}{signed}"


@click.command()
@click.argument("name")
@click.option("--cosigner", is_flag=True, help="A cosigner's (witness's) key (type 0x04).")
@click.option("--dir", "directory", default=None, type=click.Path(file_okay=False),
              help="Where to write NAME.key and NAME.pub (default: here; '/' in a key name "
                   "becomes '_').")
def keygen(name, cosigner, directory):
    """Make an Ed25519 key: NAME.key (private, mode 600) and NAME.pub (the verifier key).

    NAME is the key's name (``bureau.example/ledger`` writes bureau.example_ledger.key and
    .pub here or in --dir), or a path (``/tmp/k1``, ``./keys/k1``: writes /tmp/k1.key and
    /tmp/k1.pub; the key is named k1). The full paths written are printed; --sign and --key
    take them (or the NAME given here)."""
    from shlex import quote

    from ledger.clitools import say
    if directory is not None and is_path_name(name):
        raise click.UsageError("give a key name with --dir, or a path NAME without it")
    stem, key_name = key_files(name, directory)
    key = notes.generate(key_name, cosigner=cosigner)
    private, public = stem.with_name(stem.name + ".key"), stem.with_name(stem.name + ".pub")
    write_text(str(private), str(key) + "\n", private=True)
    write_text(str(public), str(key.verifier()) + "\n")
    priv, pub = private.absolute(), public.absolute()
    use = "checkpoint --cosign" if cosigner else "checkpoint --sign"
    click.echo(say(f"已写入私钥 {priv}（请妥善保管，勿外传；签名时：{use} {quote(str(priv))}）\n"
                   f"已写入公钥 {pub}（请公开发布；核对时：--key {quote(str(pub))}）\n"
                   f"公钥内容：{key.verifier()}",
                   f"wrote private key {priv} (keep it secret; sign with: {use} "
                   f"{quote(str(priv))})\nwrote verifier key {pub} (publish it; check with: "
                   f"--key {quote(str(pub))})\nverifier key: {key.verifier()}"))


@click.command()
@click.option("--sign", "sign_key", default=None, type=click.Path(dir_okay=False),
              help="Sign the ledger's tree head with this private key (appends an event).")
@click.option("--verify", "verify_keys", multiple=True, type=click.Path(dir_okay=False),
              help="Check FILE's signature with this verifier key (.pub); with --db also "
                   "check the ledger still holds that tree.")
@click.option("--cosign", "cosign_key", default=None, type=click.Path(dir_okay=False),
              help="Add a cosignature (a cosigner's key) to FILE, after checking the log's "
                   "signature (--log-key) and, with --db, the ledger.")
@click.option("--log-key", default=None, type=click.Path(dir_okay=False))
@click.option("--origin", default=None, help="The origin line (default: the key's name).")
@click.option("-o", "--output", default=None, type=click.Path(dir_okay=False))
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@click.pass_context
def checkpoint(ctx, sign_key, verify_keys, cosign_key, log_key, origin, output, file):
    """Sign, verify or cosign a checkpoint (a C2SP signed note of the Merkle tree head)."""
    if sum(map(bool, (sign_key, verify_keys, cosign_key))) != 1:
        raise click.UsageError("give exactly one of --sign KEY, --verify PUBKEY, --cosign KEY")
    if sign_key:
        key = read_signer(sign_key)
        with _open(ctx) as lg:
            write_text(output, service.sign_checkpoint(lg, key, origin))
        return
    if file is None:
        raise click.UsageError("name the checkpoint FILE to verify or cosign")
    text = read_text(file, "checkpoint")
    if cosign_key:
        if log_key is None:
            raise click.UsageError("--cosign needs --log-key PUBKEY: a cosigner checks the "
                                   "log's signature first")
        verified = checkpoints.parse(text, read_verifiers([log_key]))
        if ctx.obj["db"]:
            with _open(ctx) as lg:
                service.check_against_ledger(lg, verified.checkpoint)
        cosigner = read_signer(cosign_key)
        if cosigner.kind != notes.COSIGNATURE:
            raise LedgerError(f"{cosign_key} is a log's key: a cosigner's key is made with "
                              f"`keygen NAME --cosigner` (C2SP tlog-cosignature, type 0x04)")
        write_text(output, notes.add_signature(text, cosigner))
        return
    verified = checkpoints.parse(text, read_verifiers(verify_keys))
    cp = verified.checkpoint
    extra = ""
    if ctx.obj["db"]:
        with _open(ctx) as lg:
            service.check_against_ledger(lg, cp)
        extra = "; the ledger still holds that tree"
    click.echo(f"ok: checkpoint of {cp.origin} at size {cp.size} (chain {cp.chain_head[:20]}…, "
               f"{cp.time}) signed by {', '.join(verified.signed_by)}{extra}")


@click.command()
@click.option("--event", "event_id", default=None, help="Prove this event is in the tree.")
@click.option("--checkpoint", "checkpoint_file", default=None, type=click.Path(dir_okay=False),
              help="Prove it against this checkpoint's tree (checked against the ledger).")
@click.option("--key", "keys", multiple=True, type=click.Path(dir_okay=False),
              help="The checkpoint's verifier key (needed with --checkpoint).")
@click.option("--from-size", type=int, default=None)
@click.option("--to-size", type=int, default=None)
@click.option("--json", "as_json", is_flag=True, help="Print the proof's JSON (for `check`).")
@click.pass_context
def prove(ctx, event_id, checkpoint_file, keys, from_size, to_size, as_json):
    """An inclusion proof (--event ID) or a consistency proof (--from-size N --to-size M)."""
    if (event_id is None) == (from_size is None):
        raise click.UsageError("give --event ID or --from-size N (with --to-size M)")
    with _open(ctx) as lg:
        if event_id is not None:
            size = None
            if checkpoint_file:
                if not keys:
                    raise click.UsageError("--checkpoint needs --key PUBKEY to check its signature")
                cp = checkpoints.parse(read_text(checkpoint_file, "checkpoint"),
                                       read_verifiers(keys)).checkpoint
                service.check_against_ledger(lg, cp)
                size = cp.size
            proof = service.inclusion(lg, event_id, size)
        else:
            proof = service.consistency(lg, from_size, to_size)
    if as_json:
        click.echo(json.dumps(proof, indent=2))
    elif proof["kind"] == "inclusion":
        click.echo(f"event {event_id} is leaf {proof['leaf_index']} of the tree of size "
                   f"{proof['tree_size']}, root {proof['root']}\npath ({len(proof['path'])} "
                   f"hashes):\n" + "\n".join(f"  {p}" for p in proof["path"]))
    else:
        click.echo(f"the tree of size {proof['from_size']} (root {proof['from_root']}) is a "
                   f"prefix of the tree of size {proof['to_size']} (root {proof['to_root']})\n"
                   f"path ({len(proof['path'])} hashes):\n"
                   + "\n".join(f"  {p}" for p in proof["path"]))


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--checkpoint", "checkpoint_file", default=None, type=click.Path(dir_okay=False),
              help="Also check the proof is made against this signed checkpoint.")
@click.option("--key", "keys", multiple=True, type=click.Path(dir_okay=False),
              help="Trusted verifier key(s) (.pub) for checkpoints and packets.")
@click.option("--lang", type=click.Choice(["zh", "en", "both"]), default="both")
def check(file, checkpoint_file, keys, lang):
    """Verify a proof file or an appeal packet (.zip) with no ledger at all."""
    if not file.endswith(".zip"):
        head = read_text(file, "proof")
        if '"kind": "receipt"' in head or '"kind":"receipt"' in head:
            from ledger.proofs.receipts import check_receipt
            if not keys:
                raise click.UsageError("a receipt is checked with the bureau's key: --key PUBKEY")
            proved = check_receipt(json.loads(head), read_verifiers(keys))
            pub = proved["publication"]
            click.echo(f"ok: receipt of {pub.id} ({pub.town or 'scoreboard'} {pub.period}): the "
                       f"card's SHA-256 {pub.sha256} is the published one and its "
                       f"{len(proved['rows'])} events are proven in the signed checkpoint")
            return
    if file.endswith(".zip"):
        from ledger.proofs.packet import check_packet
        for line in check_packet(file, read_verifiers(keys), lang):
            click.echo(line)
        return
    try:
        data = json.loads(read_text(file, "proof"))
    except ValueError as exc:
        raise LedgerError(f"{file} is not JSON: {exc}") from None
    cp = None
    if checkpoint_file:
        if not keys:
            raise click.UsageError("--checkpoint needs --key PUBKEY to check its signature")
        cp = checkpoints.parse(read_text(checkpoint_file, "checkpoint"),
                               read_verifiers(keys)).checkpoint
    click.echo(check_proof(data, cp))


@click.command()
@click.option("--town", required=True)
@click.option("--period", required=True)
@click.option("--key", "key_file", required=True, type=click.Path(dir_okay=False),
              help="The bureau's private key: signs today's checkpoint and the manifest.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False))
@click.pass_context
def packet(ctx, town, period, key_file, output):
    """Build the appeal packet (.zip) of a town's published card; `check` verifies it offline."""
    from ledger.proofs.packet import build_packet
    key = read_signer(key_file)
    with _open(ctx) as lg:
        click.echo(str(build_packet(lg, town, period, key, output)))


def write_receipt(lg, publication_id: str, key_file: str, path: str) -> None:
    """``publish --sign KEY --receipt FILE``: the publication's receipt as JSON."""
    from ledger.proofs.receipts import make_receipt
    receipt = make_receipt(lg, publication_id, read_signer(key_file))
    write_text(path, json.dumps(receipt, ensure_ascii=False, indent=2) + "\n")


def receipt_publication(path: str) -> str:
    """``reproduce RECEIPT``: the publication id a receipt file is about (its proofs are
    checked with ``check``; reproduce compares the recomputed card with the receipt's)."""
    try:
        receipt = json.loads(read_text(path, "receipt"))
        return receipt["publication"], receipt["sha256"]
    except (ValueError, KeyError, TypeError):
        raise LedgerError(f"{path} is not a receipt written by `publish --receipt`") from None


COMMANDS = (keygen, checkpoint, prove, check, packet)
