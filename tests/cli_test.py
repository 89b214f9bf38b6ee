#!/usr/bin/env python3
"""Integration test of the gloss CLI against a real glossd.

Runs as an annotator would: imports the seed corpus, lists, shows, deletes,
and checks every figure glossd reports (sizes in bytes, code points, UTF-16
units, SHA-256) against Python's own independent arithmetic.  Needs only
Python's standard library.  Run by ctest with GLOSSD, GLOSS, GLOSS_SEEDS set.
"""
import hashlib
import json
import os
import shutil
import tempfile

import glosstest
from glosstest import (SEED_FILES, SEEDS, check, gloss, import_seed,
                       start_glossd, stop_glossd)

# Our own text for what the seeds lack: astral characters, emoji modifiers,
# ZWJ sequences, flags, combining marks, CRLF.
OWN_TEXT = ("Olá 👍🏽 mundo 🇵🇹🇧🇷 — família 👨\u200d👩\u200d👧, "
            "cafe\u0301 e العربية\r\nfim.\n")



def counts(data: bytes):
    text = data.decode("utf-8")
    return {"byteCount": len(data), "charCount": len(text),
            "utf16Count": len(text.encode("utf-16-le")) // 2,
            "sha256": hashlib.sha256(data).hexdigest()}


def test_seeds(tmp):
    if not os.path.isdir(SEEDS):
        print("seeds folder %s is absent: seed checks skipped" % SEEDS)
        return {}
    files = {}
    for stem, lang, orig in SEED_FILES:
        r, data = import_seed(stem, lang, orig)
        check(r.stdout.decode().startswith("imported " + stem),
              "import prints what it stored: %r" % r.stdout)
        files[stem] = (lang, orig, data)
    for stem, (lang, orig, data) in files.items():
        r = gloss("show", stem)
        check(r.returncode == 0 and r.stdout == data,
              "show %s gives the file byte for byte" % stem)
    return files


def test_articles_json(files):
    r = gloss("articles", "--json")
    check(r.returncode == 0, "articles --json: %s" % r.stderr)
    rows = [json.loads(line) for line in r.stdout.decode().splitlines()]
    ids = [row["id"] for row in rows]
    check(ids == sorted(ids), "articles are in id order")
    by_id = {row["id"]: row for row in rows}
    for stem, (lang, orig, data) in files.items():
        row = by_id.get(stem, {})
        for key, want in counts(data).items():
            check(row.get(key) == want,
                  "%s %s: glossd %r, Python %r" % (stem, key, row.get(key),
                                                   want))
        check(row.get("language") == lang, stem + " language")
        check(row.get("group") == (orig or stem), stem + " group")
        check(row.get("state") == "STATE_ACTIVE", stem + " state")
        check(row.get("revision") == "1", stem + " revision (uint64: string)")
        check("text" not in row, stem + ": lists carry no text")
    return by_id


def test_articles_table(files):
    r = gloss("articles")
    lines = r.stdout.decode().splitlines()
    check(lines and lines[0].split()[:6] ==
          ["ID", "LANG", "GROUP", "CHARS", "BYTES", "TITLE"],
          "table header: %r" % (lines[:1],))
    for stem, (lang, orig, data) in files.items():
        row = [ln for ln in lines if ln.startswith(stem + " ")]
        check(len(row) == 1, "one table row for " + stem)
        if row:
            cols = row[0].split()
            check(cols[1:5] == [lang, orig or stem,
                                str(len(data.decode())), str(len(data))],
                  "table row of %s: %r" % (stem, cols[:5]))
    r = gloss("articles", "--group", "000_37e09da8a1b7b9fa", "--json")
    got = sorted(json.loads(x)["id"] for x in r.stdout.decode().splitlines())
    want = sorted(s for s, (l, o, d) in files.items()
                  if (o or s) == "000_37e09da8a1b7b9fa")
    check(got == want, "--group lists the translation group: %r" % got)
    r = gloss("articles", "--lang", "ar", "--json")
    got = [json.loads(x)["id"] for x in r.stdout.decode().splitlines()]
    check(got == [s for s, (l, o, d) in files.items() if l == "ar"],
          "--lang ar: %r" % got)


def test_own_text(tmp):
    path = os.path.join(tmp, "emoji.txt")
    data = OWN_TEXT.encode()
    with open(path, "wb") as f:
        f.write(data)
    r = gloss("import", "--lang", "pt", "--id", "emoji", "--json",
              "--meta", "source=test", path)
    check(r.returncode == 0, "import emoji: %s" % r.stderr)
    row = json.loads(r.stdout) if r.returncode == 0 else {}
    for key, want in counts(data).items():
        check(row.get(key) == want, "emoji %s: %r vs %r" % (key, row.get(key),
                                                             want))
    check(row.get("metadata") == {"source": "test"}, "metadata as an object")
    first = OWN_TEXT.split("\r\n")[0].encode()
    cut = first[:81].rindex(b" ")  # the first words within 80 bytes
    check(row.get("title") == first[:cut].decode() + "…",
          "title: the first line's first words: %r" % row.get("title"))
    r = gloss("show", "emoji")
    check(r.stdout == data, "show emoji byte for byte (CRLF kept)")
    r = gloss("import", "--lang", "en", "-", stdin=OWN_TEXT.encode())
    check(r.returncode == 0, "import from stdin makes an id: %s" % r.stderr)


def test_errors(tmp):
    r = gloss("show", "nope")
    check(r.returncode == 4 and
          r.stderr.decode() == "gloss: article 'nope' not found (NOT_FOUND)\n",
          "unknown id: %r" % r.stderr)
    bad = os.path.join(tmp, "bad.txt")
    with open(bad, "wb") as f:
        f.write(b"valid start \xe2\x82 broken")
    r = gloss("import", "--lang", "en", bad)
    check(r.returncode == 3 and b"at byte 12" in r.stderr and
          b"INVALID_ARGUMENT" in r.stderr, "invalid UTF-8: %r" % r.stderr)
    with open(bad, "wb") as f:
        f.write(b"a\x00b")
    r = gloss("import", "--lang", "en", bad)
    check(r.returncode == 1 and b"NUL byte at byte 1" in r.stderr,
          "NUL: %r" % r.stderr)
    empty = os.path.join(tmp, "empty.txt")
    open(empty, "wb").close()
    r = gloss("import", "--lang", "en", empty)
    check(r.returncode == 3 and b"empty" in r.stderr, "empty: %r" % r.stderr)
    r = gloss("import", "--lang", "en", "--translation-of", "ghost", bad)
    check(r.returncode == 1, "translation_of unknown (and a NUL)")
    r = gloss("import", bad)
    check(r.returncode == 2 and b"--lang" in r.stderr, "no --lang: usage")
    r = gloss("frobnicate")
    check(r.returncode == 2, "unknown verb")
    r = gloss("articles", "--socket", "ipc://" + tmp + "/nothing.sock")
    check(r.returncode == 6 and b"is glossd running" in r.stderr,
          "no daemon: %r" % r.stderr)


def test_delete():
    r = gloss("rm-article", "emoji")
    check(r.returncode == 0 and r.stdout == b"deleted emoji\n", "rm-article")
    r = gloss("articles", "--json")
    check(b'"emoji"' not in r.stdout, "deleted articles are hidden")
    r = gloss("articles", "--deleted", "--json")
    rows = [json.loads(x) for x in r.stdout.decode().splitlines()]
    gone = [x for x in rows if x["id"] == "emoji"]
    check(gone and gone[0]["state"] == "STATE_DELETED", "--deleted shows it")
    r = gloss("rm-article", "emoji")
    check(r.returncode == 5 and b"FAILED_PRECONDITION" in r.stderr,
          "second delete: %r" % r.stderr)


def test_help():
    r = gloss("--help")
    check(r.returncode == 0, "--help")
    for verb in ("import", "articles", "show", "rm-article", "info"):
        check(verb.encode() in r.stdout, "--help lists " + verb)
        h = gloss(verb, "--help")
        check(h.returncode == 0 and h.stdout.startswith(b"usage: gloss "),
              verb + " --help")


def in_pty(*args, env=None):
    """gloss run with a pseudo-terminal as its standard output (a real
    terminal as far as isatty() knows); what it printed."""
    import pty
    import subprocess
    master, slave = pty.openpty()
    try:
        p = subprocess.run([glosstest.GLOSS, *args], stdout=slave,
                           stderr=subprocess.PIPE, env=env, timeout=30)
        os.close(slave)
        slave = -1
        out = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the terminal's other side is closed
                break
            if not chunk:
                break
            out += chunk
        return p.returncode, out
    finally:
        if slave >= 0:
            os.close(slave)
        os.close(master)


def test_conventions():
    """What people expect of a command line: options before the verb,
    -V, help VERB, did-you-mean, a socket path without a scheme, and
    colour only where it belongs (NO_COLOR, TERM=dumb, --color)."""
    sock = os.environ["GLOSS_SOCKET"]
    r = gloss("--socket", sock, "--json", "info")
    check(r.returncode == 0 and json.loads(r.stdout)["protocol"] ==
          "gloss.v1", "options before the verb: %s" % r.stderr)
    r = gloss("--socket", sock[len("ipc://"):], "info")
    check(r.returncode == 0, "--socket PATH without ipc://: %s" % r.stderr)
    r = gloss("-V")
    check(r.returncode == 0 and r.stdout.startswith(b"gloss "), "-V")
    r = gloss("help", "tag")
    check(r.returncode == 0 and r.stdout.startswith(b"usage: gloss tag"),
          "help tag: %s" % r.stdout[:80])
    r = gloss("tag", "000_37e09da8a1b7b9fa", "--label", "PERSON")
    err = r.stderr.decode()
    check(r.returncode == 2 and err.startswith("gloss tag: ") and
          "usage: gloss tag" in err and "--help explains it" in err and
          "--prefix" not in err, "a usage error: the reason and the usage "
          "line, not the whole help: %s" % err)
    r = gloss("tga")
    check(r.returncode == 2 and b"did you mean tag?" in r.stderr,
          "tga: %s" % r.stderr)
    art = "000_37e09da8a1b7b9fa"
    t = gloss("tag", art, "--quote", "Jensen Huang", "--label", "PERSON")
    check(t.returncode == 0, "a tag to colour: %s" % t.stderr)
    base = {k: v for k, v in os.environ.items()
            if k not in ("NO_COLOR", "TERM")}
    code, out = in_pty("show", art, env=dict(base, TERM="xterm"))
    check(code == 0 and b"\033[" in out, "colour on a terminal")
    code, out = in_pty("show", art, env=dict(base, TERM="xterm",
                                             NO_COLOR="1"))
    check(code == 0 and b"\033[" not in out and b"[" in out,
          "NO_COLOR: marks without colour")
    code, out = in_pty("show", art, env=dict(base, TERM="dumb"))
    check(code == 0 and b"\033[" not in out, "TERM=dumb: no colour")
    code, out = in_pty("show", art, "--color=never",
                       env=dict(base, TERM="xterm"))
    check(code == 0 and b"\033[" not in out, "--color=never")
    r = gloss("show", art, "--color=always")
    check(r.returncode == 0 and b"\033[" in r.stdout,
          "--color=always into a pipe")
    r = gloss("show", art)
    check(r.returncode == 0 and b"\033[" not in r.stdout,
          "no colour into a pipe")
    r = gloss("correct", art, "--quote", "NPR", "--nth", "1", "--verdict",
              "supported")
    check(r.returncode == 0 and "→".encode() not in r.stdout,
          "a supported claim without --to prints no arrow: %s %s"
          % (r.stdout, r.stderr))
    r = gloss("stats")
    check(r.returncode == 0 and b"\n  entity " in r.stdout and
          b"\n  fact-correction " in r.stdout and b"KIND_" not in r.stdout
          and b"STATE_" not in r.stdout and b"\n  active " in r.stdout,
          "stats says kinds and states as the verbs do: %s" % r.stdout)
    for tag, says in (("english", b"did you mean en?"),
                      ("Portuguese", b"did you mean pt?"),
                      ("xx", b"not a BCP 47 tag of a known language")):
        r = gloss("import", "--lang", tag, os.path.join(SEEDS,
                                                       art + ".txt"))
        check(r.returncode == 2 and says in r.stderr,
              "--lang %s refused: %s" % (tag, r.stderr))
    r = gloss("show", art, "--color=sometimes")
    check(r.returncode != 0 and b"auto, always or never" in r.stderr,
          "--color=sometimes refused: %s" % r.stderr)


def main():
    tmp = tempfile.mkdtemp(prefix="gloss-cli-")
    os.environ["GLOSS_SOCKET"] = "ipc://" + tmp + "/data/glossd.sock"
    os.environ["GLOSS_USER"] = "cli-test"
    proc, _ = start_glossd(tmp)
    try:
        files = test_seeds(tmp)
        test_articles_json(files)
        test_articles_table(files)
        test_own_text(tmp)
        test_errors(tmp)
        test_delete()
        test_help()
        test_conventions()
        r = gloss("info", "--json")
        check(r.returncode == 0 and json.loads(r.stdout)["protocol"] ==
              "gloss.v1", "info --json")
    finally:
        stop_glossd(proc)
        shutil.rmtree(tmp, ignore_errors=True)
    glosstest.finish(tmp)

if __name__ == "__main__":
    main()
