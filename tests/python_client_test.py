#!/usr/bin/python3
"""client/python against a real glossd on ipc:// and tcp://: the seeds
(pt, en, ar, fr) created, tagged by quote (every span checked against
Python's own UTF-8, code point and UTF-16 arithmetic), listed page by
page, the change feed read and followed, exports written and read back;
statuses raised with their code, message and details, never retried;
deadlines; a write retried across a glossd restart applied once.

Run by ctest with /usr/bin/python3 (python3-protobuf) and
PYTHONPATH=client/python:tests; the gloss_pb2 module is made by
gloss_client.load_proto() with protoc from $GLOSS_PROTO.
"""
import json
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
import uuid

import glosstest as gt
from glosstest import check
import gloss_client
from gloss_client import Client, GlossError

g = gloss_client.load_proto(os.environ["GLOSS_PROTO"])

# What each seed gets tagged with: (quote, nth, label).
TAGS = {gt.G000: ("Huang", 2, "PERSON"), gt.G001: ("Jensen Huang", 1, "PERSON"),
        gt.G003: ("ترامب", 2, "PERSON"), gt.G004: ("Nvidia", 3, "ORG")}
SEEDS = [s for s in gt.SEED_FILES if s[0] in TAGS]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seed_text(stem):
    with open(os.path.join(gt.SEEDS, stem + ".txt"), encoding="utf-8") as f:
        return f.read()


def span_ok(text, s):
    """The span's three units and its quote agree with the text."""
    b = text.encode("utf-8")
    u = text.encode("utf-16-le")
    return text[s.char_start:s.char_end] == s.exact and \
        b[s.byte_start:s.byte_end].decode("utf-8") == s.exact and \
        u[2 * s.utf16_start:2 * s.utf16_end].decode("utf-16-le") == s.exact


def test_framing(urls):
    for url in urls:
        with Client(url, timeout=5) as c:
            info = c.call("GetServerInfo")
            check(info.protocol == "gloss.v1" and c.attempts == 1,
                  "%s: GetServerInfo: %s, %d attempts"
                  % (url, info.protocol, c.attempts))
            check(url in info.listen, "%s in %s" % (url, list(info.listen)))
            check(c.call("get_server_info").protocol == "gloss.v1",
                  "%s: a second call on the same connection" % url)


def test_seeds(urls):
    """Creates and tags the seeds, alternating ipc and tcp; returns
    {article id: (text, annotation)}."""
    tagged = {}
    for i, (stem, lang, orig) in enumerate(SEEDS):
        with Client(urls[i % 2], author="py", timeout=10) as c:
            text = seed_text(stem)
            art = c.call("create_article", article={
                "id": stem, "language": lang, "text": text,
                "translation_of": orig or ""}).article
            check(art.char_count == len(text) and
                  art.byte_count == len(text.encode()) and
                  art.utf16_count == len(text.encode("utf-16-le")) // 2,
                  "%s: counts %d/%d/%d" % (stem, art.byte_count,
                                           art.char_count, art.utf16_count))
            quote, nth, label = TAGS[stem]
            ann = c.call("CreateAnnotation", annotation={
                "article_id": stem, "entity": {"label": label},
                "select": [{"quote": {"exact": quote, "nth": nth}}]}
            ).annotation
            s = ann.spans[0]
            starts = [k for k in range(len(text)) if text.startswith(quote, k)]
            check(span_ok(text, s) and s.char_start == starts[nth - 1],
                  "%s: %r nth %d at chars %d-%d (Python: %d)"
                  % (stem, quote, nth, s.char_start, s.char_end,
                     starts[nth - 1]))
            tagged[stem] = (text, ann)
    return tagged


def test_paging(url, tagged):
    """Every occurrence of the Arabic quote tagged, then listed two by
    two: all of them, in id order, once each."""
    text, first = tagged[gt.G003]
    quote = first.spans[0].exact
    ids = [first.id]
    with Client(url, author="py") as c:
        n = text.count(quote)
        for nth in range(1, n + 1):
            if nth != 2:
                ids.append(c.call("create_annotation", annotation={
                    "article_id": gt.G003, "entity": {"label": "PERSON"},
                    "select": [{"quote": {"exact": quote, "nth": nth}}]}
                ).annotation.id)
        pages = list(c.pages("list_annotations", article_id=gt.G003,
                             page_size=2))
        listed = [a.id for p in pages for a in p.annotations]
        check(listed == sorted(ids) and len(pages) == (len(ids) + 1) // 2,
              "pages of 2: %s in %d pages, want %s" % (listed, len(pages),
                                                      sorted(ids)))
        items = list(c.items("ListAnnotations", article_id=gt.G003,
                             page_size=3))
        check([a.id for a in items] == sorted(ids) and
              all(span_ok(text, a.spans[0]) for a in items),
              "items: %s" % [a.id for a in items])
        labels = list(c.items("list_labels", set="entity", page_size=5))
        names = [lab.name for ls in labels for lab in ls.labels]
        check(len(labels) > 1 and "PERSON" in names and
              names == sorted(names), "labels over pages: %s" % names)


def test_feed(urls):
    """The whole feed without waiting, then a follower (tcp) that sees a
    write made over ipc."""
    with Client(urls[0], author="py") as c:
        last = c.call("get_server_info").last_seq
        feed = c.changes(0, follow=False)
        seqs = [ch.seq for ch in feed]
        check(seqs == list(range(1, last + 1)) and feed.since_seq == last,
              "feed: %s, cursor %d, last_seq %d" % (seqs, feed.since_seq,
                                                    last))
        check(list(c.changes(last, follow=False)) == [],
              "nothing after the last change")
    seen = []

    def follow():
        with Client(urls[1]) as f:
            for ch in f.changes(last, wait_ms=5000):
                seen.append((ch, time.monotonic()))
                return

    t = threading.Thread(target=follow)
    t.start()
    time.sleep(0.3)  # the follower's poll is waiting
    with Client(urls[0], author="py") as c:
        at = time.monotonic()
        c.call("add_label", set="entity", label={"name": "CHIP"})
        ann = c.call("create_annotation", annotation={
            "article_id": gt.G001, "entity": {"label": "CHIP"},
            "select": [{"quote": {"exact": "H20", "nth": 1}}]}).annotation
    t.join(15)
    ok = len(seen) == 1 and seen[0][0].annotation_id == ann.id
    check(ok, "the follower saw %s" % [s[0] for s in seen])
    if ok:
        ms = (seen[0][1] - at) * 1000
        print("follower saw the write %.1f ms after it was sent" % ms)
        check(ms < 2000, "the long poll answered in %.0f ms" % ms)


def brat_ok(folder, texts):
    """Every T line of every .ann quotes its .txt at its char offsets."""
    bad = []
    for name in os.listdir(folder):
        if not name.endswith(".ann"):
            continue
        text = open(os.path.join(folder, name[:-4] + ".txt"),
                    encoding="utf-8").read()
        check(text == texts[name[:-4]], "%s.txt is the article" % name)
        for line in open(os.path.join(folder, name), encoding="utf-8"):
            if line.startswith("T"):
                _, span, quote = line.rstrip("\n").split("\t")
                parts = span.split(" ")[1].split(";")[0], span.split(" ")[-1]
                if text[int(parts[0]):int(parts[1])] != quote:
                    bad.append((name, line))
    return bad


def test_export(url, tagged, tmp):
    texts = {k: v[0] for k, v in tagged.items()}
    with Client(url) as c:
        out = os.path.join(tmp, "brat")
        r = c.export("brat", out, group=gt.G000)
        names = sorted(os.listdir(out))
        want = ["annotation.conf", "tools.conf"] + sorted(
            s + e for s in (gt.G000, gt.G001, gt.G003) for e in (".ann", ".txt"))
        check(names == sorted(want) and sorted(r.files) == sorted(want),
              "brat files: %s" % names)
        check(brat_ok(out, texts) == [], "brat quotes")
        check(r.articles == 3 and not os.path.exists(out + ".part"),
              "brat: %d articles" % r.articles)
        try:
            c.export("brat", out, group=gt.G000)
            check(False, "an export into a folder that is not empty")
        except FileExistsError:
            check(sorted(os.listdir(out)) == names, "the folder untouched")
        jl = os.path.join(tmp, "all.jsonl")
        r = c.export("jsonl", jl, page_size=1)
        lines = [json.loads(x) for x in open(jl, encoding="utf-8")]
        anns = [x for x in lines if "annotation" in x]
        n = sum(1 for _ in c.items("list_annotations"))
        check(r.pages > 1 and "header" in lines[0] and len(anns) == n and
              r.annotations == n, "jsonl: %d pages, %d of %d annotations"
              % (r.pages, len(anns), n))
        arts = {x["article"]["id"]: x["article"]["text"] for x in lines
                if "article" in x}
        check(all(arts.get(k) == v for k, v in texts.items()),
              "jsonl: the seeds' texts, Arabic included")


def test_errors(url):
    with Client(url, author="py") as c:
        served = lambda: c.call("get_server_info").requests_served
        base = served()
        base = served() - base  # what a GetServerInfo adds by itself
        before = served()
        try:
            c.call("get_article", id="no-such-article")
            check(False, "GetArticle of nothing succeeded")
        except GlossError as e:
            check(e.code == 5 and e.name == "NOT_FOUND" and
                  "no-such-article" in e.message and e.status is not None,
                  "NOT_FOUND raised: %r %s" % (e, e.name))
            check(c.attempts == 1 and served() - before == base + 1,
                  "NOT_FOUND is not retried (%d attempts)" % c.attempts)
            check(uuid.UUID(e.request_id).version == 4,
                  "a UUID 4 request id: %s" % e.request_id)
        try:
            c.call("create_annotation", annotation={
                "article_id": gt.G001, "entity": {"label": "PERSON"},
                "select": [{"quote": {"exact": "Jensen Hwang"}}]})
            check(False, "a quote that is not in the text")
        except GlossError as e:
            check(e.name == "INVALID_ARGUMENT" and e.details and
                  "select" in e.details[0].field and c.attempts == 1,
                  "INVALID_ARGUMENT with details: %r %s" % (e, e.details))
        before = served()
        try:
            c.call("create_article", article={
                "language": "pt", "text": "x" * (1100 * 1024)})
            check(False, "a request over 1 MiB was sent")
        except GlossError as e:
            check(e.name == "RESOURCE_EXHAUSTED" and c.attempts == 0 and
                  e.status is None and served() - before == base,
                  "over 1 MiB: not sent (%r)" % e)
        try:
            c.call("NoSuchMethod")
            check(False, "an unknown method")
        except ValueError:
            pass


def test_label_names(url):
    """AddLabel takes what docs/protocol.md and gloss.proto say: 1-64 of
    A-Z a-z 0-9 _ - / . starting with a letter or digit; refuses the rest
    with INVALID_ARGUMENT, adding nothing."""
    good = ["a", "Z9", "fluency/x.y-z_w", "v1.2", "q" * 64]
    bad = ["", ".a", "-a", "/a", "_a", "a b", "a+b", "é", "a\tb", "q" * 65]
    with Client(url, author="py") as c:
        for name in good:
            r = c.call("add_label", set="verdict", label={"name": name})
            check(r.added and r.set.labels[0].name == name,
                  "label %r added" % name)
        count = r.label_count
        for name in bad:
            try:
                c.call("add_label", set="verdict", label={"name": name})
                check(False, "label %r added" % name)
            except GlossError as e:
                check(e.name == "INVALID_ARGUMENT", "label %r: %r"
                      % (name, e))
        names = [lab.name for ls in c.items("list_labels", set="verdict")
                 for lab in ls.labels]
        check(len(names) == count and not set(bad) & set(names),
              "refused labels left nothing: %d labels" % len(names))


def test_readable_errors(url, tagged):
    """What a program reads off a refusal, through the client: the
    reason, the quote's occurrences (each a span in every unit), the
    current revision of a stale etag, OUT_OF_RANGE past the feed's end."""
    text, ann = tagged[gt.G003]
    quote = ann.spans[0].exact
    with Client(url, author="py") as c:
        try:
            c.call("get_article", id="no-such-article")
        except GlossError as e:
            check(e.reason == "ARTICLE_NOT_FOUND", "reason: %r" % e.reason)
        try:
            c.call("create_annotation", annotation={
                "article_id": gt.G003, "entity": {"label": "PERSON"},
                "select": [{"quote": {"exact": quote}}]})
            check(False, "an ambiguous quote was taken")
        except GlossError as e:
            occ = e.status.quote.occurrences
            starts = [k for k in range(len(text)) if text.startswith(quote, k)]
            check(e.name == "INVALID_ARGUMENT" and
                  e.reason == "QUOTE_AMBIGUOUS" and
                  e.status.quote.occurrence_count == len(starts) and
                  [o.span.char_start for o in occ] == starts and
                  all(span_ok(text, o.span) for o in occ) and
                  [o.nth for o in occ] == list(range(1, len(starts) + 1)),
                  "QUOTE_AMBIGUOUS: %r, %d occurrences" % (e, len(occ)))
        try:
            c.call("update_annotation", annotation={
                "id": ann.id, "etag": "1-1", "entity": {"label": "ORG"}})
            check(False, "a stale etag was taken")
        except GlossError as e:
            cur = e.status.current
            check(e.name == "ABORTED" and e.reason == "STALE_ETAG" and
                  cur.annotation_id == ann.id and cur.etag == ann.etag,
                  "STALE_ETAG: %r, current %s" % (e, cur))
        last = c.call("get_server_info").last_seq
        try:
            list(c.changes(last + 5, follow=False))
            check(False, "a cursor past the feed's end")
        except GlossError as e:
            check(e.name == "OUT_OF_RANGE" and e.reason == "SEQ_PAST_END",
                  "past the end: %r" % e)


def test_units(url, tagged):
    """A Range says its unit, every unit gives the same span, and a Range
    without one is refused (UNIT_MISSING), nothing stored."""
    text, ann = tagged[gt.G003]
    s = ann.spans[0]
    with Client(url, author="py") as c:
        for unit, start, end in (("UNIT_CHARS", s.char_start, s.char_end),
                                 ("UNIT_UTF16", s.utf16_start, s.utf16_end),
                                 ("UNIT_BYTES", s.byte_start, s.byte_end)):
            got = c.call("create_annotation", annotation={
                "article_id": gt.G003, "note": {"text": unit},
                "select": [{"range": {"unit": unit, "start": start,
                                      "end": end}}]}).annotation.spans[0]
            check((got.byte_start, got.char_start, got.utf16_start) ==
                  (s.byte_start, s.char_start, s.utf16_start) and
                  span_ok(text, got), "%s %d-%d: %s" % (unit, start, end,
                                                        got))
        last = c.call("get_server_info").last_seq
        try:
            c.call("create_annotation", annotation={
                "article_id": gt.G003, "note": {"text": "no unit"},
                "select": [{"range": {"start": s.char_start,
                                      "end": s.char_end}}]})
            check(False, "a Range without a unit was taken")
        except GlossError as e:
            check(e.name == "INVALID_ARGUMENT" and e.reason == "UNIT_MISSING"
                  and c.call("get_server_info").last_seq == last,
                  "no unit: %r" % e)


def test_deadline(url):
    with Client(url) as c:
        last = c.call("get_server_info").last_seq
        at = time.monotonic()
        try:
            c.call("list_changes", since_seq=last, wait_ms=5000, timeout=1)
            check(False, "a 5 s poll within a 1 s deadline")
        except GlossError as e:
            took = time.monotonic() - at
            check(e.name == "DEADLINE_EXCEEDED" and e.status is None and
                  1.0 <= took < 1.5, "deadline: %r after %.2f s" % (e, took))
        check(c.call("get_server_info").last_seq == last,
              "the client works after a deadline")


def test_restart(tmp, proc, urls):
    """glossd stops while a client has a write to make: the write is sent
    until glossd is back, and applied once."""
    c = Client(urls[1], author="py", timeout=30)
    last = c.call("get_server_info").last_seq
    gt.stop_glossd(proc)
    rid = str(uuid.uuid4())
    done = {}

    def write():
        try:
            done["ann"] = c.call("create_annotation", request_id=rid,
                                 annotation={
                                     "article_id": gt.G004,
                                     "note": {"text": "écrit pendant l'arrêt"},
                                     "select": [{"quote": {"exact": "Nvidia",
                                                           "nth": 1}}]}
                                 ).annotation
        except GlossError as e:
            done["error"] = e

    t = threading.Thread(target=write)
    t.start()
    time.sleep(1.0)
    proc, _ = gt.start_glossd(tmp, listen=urls[1:])
    t.join(30)
    check("ann" in done and c.attempts >= 2,
          "the write across a restart: %s, %d attempts" % (done, c.attempts))
    with Client(urls[0]) as r:
        changes = [ch for ch in r.changes(last, follow=False)]
        check([ch.request_id for ch in changes] == [rid],
              "applied once: %s" % [(ch.seq, ch.request_id) for ch in changes])
        again = c.call("create_annotation", request_id=rid, annotation={
            "article_id": gt.G004, "note": {"text": "écrit pendant l'arrêt"},
            "select": [{"quote": {"exact": "Nvidia", "nth": 1}}]}).annotation
        check("ann" in done and again.id == done["ann"].id and
              r.call("get_server_info").last_seq == last + 1,
              "the same request id again: the first reply, nothing applied")
    c.close()
    return proc


def main():
    tmp = tempfile.mkdtemp(prefix="gloss-pyclient-")
    tcp = "tcp://127.0.0.1:%d" % free_port()
    proc, ipc = gt.start_glossd(tmp, listen=[tcp])
    urls = [ipc, tcp]
    try:
        test_framing(urls)
        tagged = test_seeds(urls)
        test_paging(tcp, tagged)
        test_feed(urls)
        test_export(ipc, tagged, tmp)
        test_errors(tcp)
        test_label_names(ipc)
        test_readable_errors(tcp, tagged)
        test_units(ipc, tagged)
        test_deadline(ipc)
        proc = test_restart(tmp, proc, urls)
    finally:
        if proc.poll() is None:
            gt.stop_glossd(proc)
        if gt.failures:
            sys.stderr.write(open(os.path.join(tmp, "data.log")).read()[-3000:])
        shutil.rmtree(tmp, True)
    gt.finish(tmp)


if __name__ == "__main__":
    main()
