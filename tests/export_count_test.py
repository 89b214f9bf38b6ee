#!/usr/bin/env python3
"""What an export says against what it wrote, against a real glossd.

- Counts: the summary's articles and annotations (the sum of every page's
  ExportResponse counts) equal what the files hold, in every format, for
  page sizes and page_bytes that cut pieces across pages; the bytes are the
  same whatever the pages.
- Deleted articles: an article deleted before the snapshot is in no
  format but jsonl (text and annotations), one deleted after it is in every
  one; --article of a deleted one is refused but by jsonl; a note whose
  source article was deleted keeps no quote of it (mqm).
- File names: gloss export refuses a chunk path that would leave its
  folder (absolute, "..", "/", control bytes), from a fake glossd (nngcat
  answering a forged reply), and writes nothing outside.

Python's standard library only; protoc and nngcat for the fake glossd.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import glosstest
from glosstest import check, gloss
import exportgen
from export_scale_test import restore

PROTO = os.environ["GLOSS_PROTO"]
FORMATS = ("jsonl", "w3c", "brat", "conll", "mqm", "spacy")
MARK = "Zanzibarquux"  # a word only the deleted article holds


def corpus():
    """Three articles and their annotations of every kind, with overlaps,
    a discontinuous span, a note on a line break, an unannotated article;
    `gone` is deleted after the import, `src` is the others' source."""
    ds = exportgen.Dataset()
    src = ("O presidente falou ontem. A empresa NVIDIA vendeu chips à "
           "China.\nO mercado reagiu bem, disse a Ana.\n") * 3
    ds.article("src", "pt", src)
    tr = ("The president spoke yesterday. The company NVIDIA sold chips "
          "to China.\nThe market reacted well, said Ana. 👍🏽 العربية.\n") * 3
    ds.article("tr", "en", tr, translation_of="src")
    for m in re.finditer(r"NVIDIA|China|Ana|العربية", tr):
        ds.entity(m.start(), m.end(), "ORG")
    ds.entity(4, 30, "EVENT")  # overlaps nothing in conll? "president..."
    ds.entity(4, 13, "PERSON")  # overlaps the one before: a loss
    ds.entity(0, 3, "ORG", more=[(14, 19)])  # discontinuous
    ds.note(60, 80, "spans a line break")
    for m in list(re.finditer(r"sold|reacted", tr))[:4]:
        s = re.search(r"vendeu|reagiu", src)
        ds.flag(m.start(), m.end(), "src", s.start(), s.end(),
                "accuracy/mistranslation", "major")
    ds.article("plain", "fr", "Rien à signaler ici. Vraiment rien.\n")
    gone = ("The %s company said so. A second sentence. " % MARK) * 4
    ds.article("gone", "en", gone, translation_of="src")
    for m in re.finditer(MARK, gone):
        ds.entity(m.start(), m.end(), "ORG")
        ds.flag(m.start(), m.end(), "src", 2, 11, "fluency/spelling",
                "minor")
    ds.note(0, 3, "a note on the deleted article")
    return ds


def export(tmp, fmt, *args, sock=None, name=None):
    """Runs gloss export --json; (path, summary or None, run)."""
    out = os.path.join(tmp, name or ("out." + fmt))
    if os.path.isdir(out):
        shutil.rmtree(out)
    elif os.path.exists(out):
        os.remove(out)
    r = gloss("export", "--format", fmt, "--out", out, "--json", *args,
              sock=sock)
    try:
        s = json.loads(r.stdout.decode().strip().splitlines()[-1])
    except (ValueError, IndexError):
        s = None
    return out, s, r


def holds(fmt, out):
    """(articles, annotations, article ids) as the files hold them."""
    if fmt == "brat":
        names = os.listdir(out)
        ids = {n[:-4] for n in names if n.endswith(".txt")}
        t = sum(1 for n in names if n.endswith(".ann")
                for line in open(os.path.join(out, n), encoding="utf-8")
                if line.startswith("T"))
        return len(ids), t, ids
    data = open(out, encoding="utf-8").read()
    if fmt == "conll":
        docs = data.split("-DOCSTART- -X- -X- O\n")[1:]
        return len(docs), len(re.findall(r" B-\S+\n", data)), None
    if fmt == "mqm":
        rows = [r.split("\t") for r in data.split("\n")[1:] if r]
        ids = {r[0] for r in rows}
        return len(ids), len(rows), ids
    recs = [json.loads(x) for x in data.splitlines()]
    if fmt == "w3c":
        ids = {(r["target"] if isinstance(r["target"], dict)
                else r["target"][0])["source"].rsplit(":", 1)[1]
               for r in recs}
        return len(ids), len(recs), ids
    if fmt == "spacy":
        ids = {r["meta"]["article_id"] for r in recs}
        return len(recs), sum(len(r["entities"]) for r in recs), ids
    arts = {r["article"]["id"]: r["article"] for r in recs if "article" in r}
    anns = {r["annotation"]["id"] for r in recs if "annotation" in r}
    return len(arts), len(anns), set(arts)


def read(out):
    if os.path.isdir(out):
        return {n: open(os.path.join(out, n), "rb").read()
                for n in os.listdir(out)}
    return open(out, "rb").read()


def test_counts(tmp, sock):
    """Summaries equal the files, whatever the pages."""
    for fmt in FORMATS:
        first = None
        for size, nbytes in ((0, 0), (1, 512), (2, 700), (1000, 1000),
                             (3, 4096)):
            args = []
            if size:
                args += ["--page-size", str(size)]
            if nbytes:
                args += ["--page-bytes", str(nbytes)]
            out, s, r = export(tmp, fmt, *args, sock=sock)
            if not check(r.returncode == 0 and s is not None,
                         "%s %r: %s" % (fmt, args, r.stderr[-300:])):
                continue
            a, n, _ = holds(fmt, out)
            check((s["articles"], s["annotations"]) == (a, n),
                  "%s %r: the summary says %d articles, %d annotations; "
                  "the files hold %d, %d" %
                  (fmt, args, s["articles"], s["annotations"], a, n))
            if first is None:
                first = read(out)
            else:
                check(read(out) == first,
                      "%s %r: the same bytes as one page" % (fmt, args))


def test_counts_say(tmp, sock, ds):
    """The counts are those of the corpus, not of what was looked at."""
    notes = sum(1 for v in ds.ann.values() if v["kind"] == "translation"
                and v["article"] != "gone")
    _, s, _ = export(tmp, "mqm", sock=sock)
    check(s and (s["articles"], s["annotations"]) == (1, notes),
          "mqm says 1 article, %d annotations (the rows): %r" % (notes, s))
    _, s, _ = export(tmp, "w3c", "--kind", "note", sock=sock)
    check(s and (s["articles"], s["annotations"]) == (1, 1),
          "w3c --kind note: 1 article, 1 annotation: %r" % s)
    _, s, _ = export(tmp, "spacy", "--kind", "translation", sock=sock)
    check(s and (s["articles"], s["annotations"]) == (3, 0),
          "spacy --kind translation: 3 articles, no annotation: %r" % s)


def test_deleted(tmp, sock, ds, seq):
    """`gone` was deleted by change seq, after the import."""
    for fmt in FORMATS:
        out, s, r = export(tmp, fmt, sock=sock)
        if not check(r.returncode == 0, "%s: %s" % (fmt, r.stderr)):
            continue
        a, n, ids = holds(fmt, out)
        data = read(out)
        blob = b"".join(data.values()) if isinstance(data, dict) else data
        if fmt == "jsonl":
            recs = [json.loads(x) for x in blob.decode().splitlines()]
            gone = [x["article"] for x in recs if "article" in x and
                    x["article"]["id"] == "gone"]
            check(gone and gone[0]["state"] == "STATE_DELETED" and
                  MARK in gone[0]["text"],
                  "jsonl keeps the deleted article, as a tombstone")
            check(sum(1 for x in recs if "annotation" in x and
                      x["annotation"]["articleId"] == "gone") ==
                  sum(1 for v in ds.ann.values() if v["article"] == "gone"),
                  "jsonl keeps its annotations")
            continue
        check(MARK.encode() not in blob,
              "%s: nothing of the deleted article (%r)" % (fmt, ids))
        check(ids is None or "gone" not in ids,
              "%s: the deleted article is not listed" % fmt)
        if fmt == "conll":
            check(a == 3, "conll: 3 documents, not the deleted one's")
        out, s, r = export(tmp, fmt, "--as-of", str(seq - 1), sock=sock)
        data = read(out)
        blob = b"".join(data.values()) if isinstance(data, dict) else data
        check(r.returncode == 0 and MARK.encode() in blob,
              "%s --as-of %d: deleted after the snapshot, so in it" %
              (fmt, seq - 1))
        out, s, r = export(tmp, fmt, "--article", "gone", sock=sock)
        check(r.returncode == 4 and b"deleted" in r.stderr and
              b"NOT_FOUND" in r.stderr and not os.path.exists(out),
              "%s --article of a deleted article: %r" % (fmt, r.stderr))
    out, s, r = export(tmp, "jsonl", "--article", "gone", sock=sock)
    check(r.returncode == 0 and s and s["articles"] == 1,
          "jsonl --article of a deleted article: %r" % r.stderr)


def test_deleted_source(tmp, sock):
    """A note whose source was deleted quotes nothing of it."""
    before, _, _ = export(tmp, "mqm", sock=sock, name="before.mqm")
    rows = [x.split("\t") for x in open(before, encoding="utf-8")][1:]
    check(rows and all(x[5] for x in rows),
          "mqm quotes the source while it exists")
    r = gloss("rm-article", "src", sock=sock)
    check(r.returncode == 0, "rm-article src: %s" % r.stderr)
    out, s, r = export(tmp, "mqm", sock=sock)
    rows = [x.split("\t") for x in open(out, encoding="utf-8")][1:]
    check(r.returncode == 0 and rows and all(x[5] == "" for x in rows),
          "mqm quotes no deleted source: %r" % rows[:1])
    out, s, r = export(tmp, "brat", sock=sock)
    check(r.returncode == 0 and "src.txt" not in os.listdir(out),
          "brat: no deleted source")


def fake_glossd(tmp, path):
    """nngcat answering every request with an Export page of one chunk at
    `path`; (process, socket)."""
    text = ('export { chunks { path: "%s" data: "x" } as_of_seq: 1 }' %
            "".join("\\%03o" % b for b in path.encode()))
    enc = subprocess.run(["protoc", "--encode=gloss.v1.Reply", "-I" + PROTO,
                          "gloss/v1/gloss.proto"], input=text.encode(),
                         capture_output=True, timeout=30)
    reply = os.path.join(tmp, "reply.bin")
    with open(reply, "wb") as f:
        f.write(enc.stdout)
    sock = "ipc://" + os.path.join(tmp, "fake.sock")
    proc = subprocess.Popen(["nngcat", "--rep", "--listen", sock, "--file",
                             reply], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    for _ in range(250):
        if os.path.exists(os.path.join(tmp, "fake.sock")):
            break
        time.sleep(0.02)
    return proc, sock


def test_hostile_paths(tmp):
    work = os.path.join(tmp, "deep", "a", "b")
    os.makedirs(work)
    for path in ("../../../escaped", "/tmp/escaped", "sub/escaped", "..",
                 ".", ".hidden", "a..b", "x\x01y", "x\ny", "x\x7fy",
                 "x\\y", "", "n" * 300):
        proc, sock = fake_glossd(tmp, path)
        try:
            r = subprocess.run([glosstest.GLOSS, "export", "--format",
                                "brat", "--out", "OUT", "--socket", sock],
                               cwd=work, capture_output=True, timeout=30)
        finally:
            proc.kill()
            proc.wait()
        left = sorted(os.listdir(os.path.join(tmp, "deep")))
        check(r.returncode == 1 and b"not a plain name" in r.stderr and
              left == ["a"] and not os.path.exists("/tmp/escaped") and
              os.listdir(os.path.join(work, "OUT.part")) == [],
              "gloss refuses the chunk path %r: %r" % (path, r.stderr))
        shutil.rmtree(os.path.join(work, "OUT.part"), ignore_errors=True)
        os.remove(os.path.join(tmp, "fake.sock"))
    proc, sock = fake_glossd(tmp, "../x")
    try:
        r = gloss("export", "--format", "jsonl", "--out",
                  os.path.join(tmp, "one.jsonl"), sock=sock)
    finally:
        proc.kill()
        proc.wait()
    check(r.returncode == 1 and b"one-file format" in r.stderr,
          "a one-file format takes no file name: %r" % r.stderr)


def main():
    tmp = tempfile.mkdtemp(prefix="gloss-export-count-")
    os.environ["GLOSS_USER"] = "export-count"
    ds = corpus()
    proc, sock = restore(tmp, "data", ds)
    try:
        r = gloss("rm-article", "gone", "--json", sock=sock)
        check(r.returncode == 0, "rm-article gone: %s" % r.stderr)
        seq = int(json.loads(r.stdout)["deleteSeq"])
        test_counts(tmp, sock)
        test_counts_say(tmp, sock, ds)
        test_deleted(tmp, sock, ds, seq)
        test_deleted_source(tmp, sock)
    finally:
        glosstest.stop_glossd(proc)
    test_hostile_paths(tmp)
    if glosstest.failures == 0:
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        print("kept", tmp, file=sys.stderr)
    glosstest.finish(tmp)


if __name__ == "__main__":
    main()
