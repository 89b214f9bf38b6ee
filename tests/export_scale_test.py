#!/usr/bin/env python3
"""Exports at the sizes that used to fail, against a real glossd.

Each dataset is written as a jsonl file (exportgen.py) and restored with
`gloss import --format jsonl`, which is fast and checks every record.  Then:

- conll of 30 articles of 40 KB, on the default page (it failed with
  RESOURCE_EXHAUSTED, "ask for smaller pages");
- conll of one 300 KB article of short tokens with --page-size 1 (it
  failed the same way, whatever the page);
- conll of 400 ordinary articles (the seeds, ~4 KiB each) with 250
  entities each, 100,000 in all, on the default page (it failed from a few
  hundred such articles on, with or without annotations);
- the largest article glossd takes (--max-article-kib 896: 917,504 bytes
  of Latin, Arabic and emoji), annotated with every kind, exported in every
  format and read back by export_test.py's readers, with glossd's peak
  memory (VmHWM, RssAnon) measured for each format.

Every export must succeed and say exactly what it wrote.  Python's
standard library only.
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
from glosstest import GLOSSD, check, gloss
import exportgen

LARGEST = 896 * 1024  # bytes: glossd --max-article-kib 896
# Peak RSS glossd (one worker) may reach exporting the largest article, in
# the plain build (ASan's shadow memory and quarantine make its figures
# meaningless); measured: 16.5 MB, LMDB's mapped pages included.
PEAK_MAX = 32 << 20

LATIN = ("news market Lisbon company said the of chips sale Huang year "
         "élève café naïve").split()
MIXED = LATIN + ["العربية", "هنا", "الصين", "👍🏽", "🇵🇹",
                 "👨\u200d👩\u200d👧", "cafe\u0301", "1,5", "US$"]
SHORT = ["a", ",", "1", "I", "é", "ب", "👍🏽", "."]


def start(tmp, name, *args):
    """A glossd of our own on tmp/name (with args); (process, env)."""
    data = os.path.join(tmp, name)
    log = open(data + ".log", "ab")
    proc = subprocess.Popen([GLOSSD, "--data", data, *args], stderr=log,
                            preexec_fn=glosstest._die_with_parent)
    sock = "ipc://" + os.path.join(data, "glossd.sock")
    for _ in range(500):
        if os.path.exists(os.path.join(data, "glossd.sock")) and \
                gloss("info", sock=sock).returncode == 0:
            return proc, sock
        time.sleep(0.02)
    raise SystemExit("glossd did not start; see " + log.name)


def restore(tmp, name, ds, *args):
    """A glossd holding dataset ds; (process, socket)."""
    path = os.path.join(tmp, name + ".jsonl")
    ds.write(path)
    proc, sock = start(tmp, name, *args)
    # glossd checks each span against the text: under ASan, on a busy
    # machine, a call of the largest article takes longer than gloss's
    # default 30 s.
    r = subprocess.run([glosstest.GLOSS, "import", "--format", "jsonl",
                        "--socket", sock, "--timeout", "600000", path],
                       capture_output=True, timeout=900)
    check(r.returncode == 0, "import %s: %s" % (name, r.stderr[-500:]))
    os.remove(path)
    return proc, sock


def summary(r):
    """The --json summary of an export run."""
    try:
        return json.loads(r.stdout.decode().strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {}


def conll_export(tmp, sock, *args):
    """The conll file and the summary; every loss is in the report."""
    out = os.path.join(tmp, "out.conll")
    rep = os.path.join(tmp, "losses.jsonl")
    r = gloss("export", "--format", "conll", "--out", out, "--json",
              "--report", rep, *args, sock=sock)
    if not check(r.returncode == 0, "conll %s: %r" % (args, r.stderr[-300:])):
        return "", {}
    s = summary(r)
    with open(rep) as f:
        listed = sum(1 for _ in f)
    check(listed == s.get("losses"), "conll %s: %d losses listed of %r" %
          (args, listed, s.get("losses")))
    return open(out, encoding="utf-8").read(), s


def conll_check(ds, data, s, what):
    """Every article once, every token found in order in its text, the
    summary's counts those of the file."""
    docs = data.split("-DOCSTART- -X- -X- O\n")[1:]
    ids = sorted(ds.texts)
    check(len(docs) == len(ids) == s.get("articles"),
          "%s: %d documents, %d articles, summary %r" %
          (what, len(docs), len(ids), s.get("articles")))
    begins = 0
    for aid, doc in zip(ids, docs):
        text, at = ds.texts[aid], 0
        for line in doc.split("\n"):
            if not line:
                continue
            word, tag = line.rsplit(" ", 3)[0], line.rsplit(" ", 1)[1]
            pos = text.find(word, at)
            if not check(pos >= 0 and text[at:pos].strip() == "",
                         "%s %s: token %r follows at %d" %
                         (what, aid, word, at)):
                break
            at = pos + len(word)
            begins += tag.startswith("B-")
    check(begins == s.get("annotations"),
          "%s: %d B- tags, summary says %r" % (what, begins,
                                               s.get("annotations")))
    return begins


def seed_texts():
    texts = []
    for stem, lang, _ in glosstest.SEED_FILES:
        with open(os.path.join(glosstest.SEEDS, stem + ".txt"),
                  encoding="utf-8", newline="") as f:
            texts.append((lang, f.read()))
    return texts


def test_40k_articles(tmp):
    ds = exportgen.Dataset()
    for i in range(30):
        ds.article("a%02d" % i, "en",
                   exportgen.words_text(40 * 1024, LATIN, i + 1))
    proc, sock = restore(tmp, "forty", ds)
    try:
        data, s = conll_export(tmp, sock)
        conll_check(ds, data, s, "conll of 30 articles of 40 KB")
    finally:
        glosstest.stop_glossd(proc)


def test_300k_page_size_1(tmp):
    ds = exportgen.Dataset()
    ds.article("big", "pt", exportgen.words_text(300 * 1000, SHORT))
    proc, sock = restore(tmp, "short", ds)
    try:
        data, s = conll_export(tmp, sock, "--page-size", "1")
        conll_check(ds, data, s, "conll of a 300 KB article, page size 1")
    finally:
        glosstest.stop_glossd(proc)


def test_100k_annotations(tmp):
    ds, seeds = exportgen.Dataset(), seed_texts()
    for i in range(400):
        lang, text = seeds[i % len(seeds)]
        ds.article("b%03d" % i, lang, text)
        # Words as white space bounds them: never inside a grapheme
        # cluster (the Arabic seed's letters carry marks).
        words = [m.span() for m in re.finditer(r"\S+", text)]
        for k in range(250):
            cs, ce = words[k % len(words)]
            ds.entity(cs, ce, "ORG" if k % 2 else "PERSON")
    proc, sock = restore(tmp, "many", ds)
    try:
        data, s = conll_export(tmp, sock)
        n = conll_check(ds, data, s, "conll of 100,000 annotations")
        lost = s.get("lossesByReason", {})
        check(n > 90000 and n + lost.get("overlap", 0) == 100000,
              "every entity is written but those overlapping (a seed "
              "shorter than 250 words): %d, %r" % (n, lost))
    finally:
        glosstest.stop_glossd(proc)


def largest_text():
    """917,504 bytes exactly: sentences of Latin, Arabic and emoji."""
    text = exportgen.words_text(LARGEST - 4096, MIXED, 7)
    text += "Fim. " * ((LARGEST - len(text.encode())) // 5)
    return text + "z" * (LARGEST - len(text.encode()))


def largest_dataset():
    """A source article and the largest one, its translation, with
    entities (one discontinuous), notes and translation notes."""
    ds = exportgen.Dataset()
    src = exportgen.words_text(20000, MIXED, 3)
    ds.article("src", "pt", src)
    text = largest_text()
    ds.article("xl", "ar", text, translation_of="src")
    words = [m.span() for m in re.finditer(r"\S+", text)]
    swords = [m.span() for m in re.finditer(r"\S+", src)]
    for k in range(0, len(words), 151):
        cs, ce = words[k]
        if k % 5 == 0:
            ds.note(cs, ce, "note %d" % k)
        elif k % 7 == 0:
            scs, sce = swords[k % len(swords)]
            ds.flag(cs, ce, "src", scs, sce, "accuracy/mistranslation",
                    "major")
        elif k % 11 == 0 and k + 2 < len(words):
            ds.entity(cs, ce, "ORG", more=[words[k + 2]])
        else:
            ds.entity(cs, ce, "GPE" if k % 2 else "PERSON")
    return ds


def peak(pid):
    """glossd's VmHWM and RssAnon, in KiB."""
    got = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmHWM", "RssAnon"):
                got[k] = int(v.split()[0])
    return got


def sanitized(pid):
    with open("/proc/%d/maps" % pid) as f:
        return "libasan" in f.read()


def test_largest(tmp):
    import export_test as et  # its readers, on our corpus
    # export_test's conll reader checks the seeds' own losses when it
    # finds the seeds: ours are not the seeds.
    et.SEEDS = os.path.join(tmp, "no-seeds")
    ds = largest_dataset()
    check(len(ds.texts["xl"].encode()) == LARGEST, "the largest article")
    # One worker: the figures are then an export's own, not those of up to
    # 16 threads' malloc arenas, each keeping what it once held.
    proc, sock = restore(tmp, "largest", ds, "--max-article-kib", "896",
                         "--workers", "1")
    env = os.environ.get("GLOSS_SOCKET")
    os.environ["GLOSS_SOCKET"] = sock
    figures = []
    try:
        for fmt, reader in (("jsonl", None), ("w3c", et.test_w3c),
                            ("brat", et.test_brat),
                            ("conll", et.test_conll),
                            ("mqm", et.test_mqm),
                            ("spacy", et.test_spacy)):
            with open("/proc/%d/clear_refs" % proc.pid, "w") as f:
                f.write("5")  # resets VmHWM to the current RSS
            before = peak(proc.pid)
            t = time.time()
            if reader is not None:
                reader(tmp, ds)
            else:
                et.export(tmp, "jsonl")
            after = peak(proc.pid)
            figures.append((fmt, time.time() - t, before, after))
        asan = sanitized(proc.pid)
    finally:
        if env is not None:
            os.environ["GLOSS_SOCKET"] = env
        glosstest.stop_glossd(proc)
    for fmt, secs, before, after in figures:
        print("largest article, %-5s: %.2f s, glossd VmHWM %d KiB "
              "(%+d KiB), RssAnon %d KiB" %
              (fmt, secs, after["VmHWM"], after["VmHWM"] - before["VmHWM"],
               after["RssAnon"]))
        check(asan or after["VmHWM"] < PEAK_MAX >> 10,
              "%s of the largest article: glossd's peak %d KiB" %
              (fmt, after["VmHWM"]))


def main():
    tmp = tempfile.mkdtemp(prefix="gloss-export-scale-")
    os.environ["GLOSS_USER"] = "export-scale"
    try:
        test_40k_articles(tmp)
        test_300k_page_size_1(tmp)
        if os.path.isdir(glosstest.SEEDS):
            test_100k_annotations(tmp)
        else:
            print("seeds folder %s is absent: 100k test skipped" %
                  glosstest.SEEDS)
        test_largest(tmp)
    finally:
        if glosstest.failures == 0:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print("kept", tmp, file=sys.stderr)
    glosstest.finish(tmp)


if __name__ == "__main__":
    main()
