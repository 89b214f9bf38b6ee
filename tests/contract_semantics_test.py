#!/usr/bin/python3
"""The contract's semantics (issue 11), spoken as any client would: the
module protoc makes from gloss.proto and SP over TCP (glossproto.py), on a
real glossd.  Offsets named for their unit and no default unit; update
masks; the reasons and structured details of refusals; consistent reads
(label and severity filters, a feed cursor past the end); the CLI's exit
codes and --json errors.  Every refusal is also checked to store nothing.
"""
import json
import os
import shutil
import sys
import tempfile
import time
import unicodedata

import glossproto
import glosstest
from glosstest import GLOSSD, SEEDS, SEED_FILES, check, gloss, stop_glossd

pb = None   # gloss_pb2, made by protoc in main()
c = None    # the SP/TCP connection
OWN = "Olá 👍🏽 mundo, café e الْعَرَبِيَّة: fim, fim, fim.\n"


def request(**arms):
    q = pb.Request()
    q.author = "contract-test"
    for k, v in arms.items():
        getattr(q, k).CopyFrom(v)
    return q


def ok(reply, what):
    check(reply.status.code == pb.OK, "%s: %s %s" % (
        what, pb.Code.Name(reply.status.code), reply.status.message))
    return reply


def refused(reply, code, reason, what, field=None):
    """Checks a refusal's code, reason and field; returns its Status."""
    st = reply.status
    check(st.code == code and st.reason == reason and
          reply.WhichOneof("body") is None,
          "%s: %s/%s, wanted %s/%s (%s)" % (
              what, pb.Code.Name(st.code), pb.Reason.Name(st.reason),
              pb.Code.Name(code), pb.Reason.Name(reason), st.message))
    if field is not None:
        check(len(st.details) == 1 and st.details[0].field == field,
              "%s: field %r" % (what, [d.field for d in st.details]))
    return st


def last_seq():
    return c.call(request(get_server_info=pb.GetServerInfoRequest())) \
        .get_server_info.last_seq


def article(aid, lang, text, translation_of=""):
    a = pb.Article(id=aid, language=lang, text=text,
                   translation_of=translation_of)
    return ok(c.call(request(create_article=pb.CreateArticleRequest(
        article=a))), "create article " + aid).create_article.article


def quote(exact, nth=0, prefix="", suffix=""):
    return pb.SpanSelector(quote=pb.Quote(exact=exact, nth=nth,
                                          prefix=prefix, suffix=suffix))


def rng(unit, start, end):
    return pb.SpanSelector(range=pb.Range(unit=unit, start=start, end=end))


def create(aid, selectors, **body):
    a = pb.Annotation(article_id=aid)
    a.select.extend(selectors)
    for k, v in body.items():
        getattr(a, k).CopyFrom(v)
    return c.call(request(create_annotation=pb.CreateAnnotationRequest(
        annotation=a)))


def python_span(text, cs, ce):
    """(byte, char, utf16) starts and ends of text[cs:ce], by Python."""
    def u16(s):
        return len(s.encode("utf-16-le")) // 2
    return (len(text[:cs].encode()), len(text[:ce].encode()), cs, ce,
            u16(text[:cs]), u16(text[:ce]))


def span_tuple(sp):
    return (sp.byte_start, sp.byte_end, sp.char_start, sp.char_end,
            sp.utf16_start, sp.utf16_end)


# ------------------------------------------------------------ units

def unique_words(text, n):
    """Words that occur once, not next to a combining mark: quotes that
    glossd and Python's str.index() agree on."""
    out = []
    for w in text.split():
        w = w.strip(".,;:()«»\"'“”!?،")
        if len(w) < 3 or text.count(w) != 1:
            continue
        i = text.index(w) + len(w)
        if i < len(text) and (unicodedata.combining(text[i]) or
                              text[i] in "\u200d\ufe0f"):
            continue
        out.append(w)
    return out[:n] + out[-n:]


def test_units():
    """Every unit resolves exactly on the seeds, Arabic included; a Range
    without a unit is refused and nothing is stored."""
    tried = 0
    for stem, lang, _ in SEED_FILES:
        text = open(os.path.join(SEEDS, stem + ".txt"), encoding="utf-8",
                    newline="").read()
        for w in unique_words(text, 4):
            cs = text.index(w)
            want = python_span(text, cs, cs + len(w))
            r = create(stem, [quote(w)], note=pb.Note(text="q"))
            if not ok(r, "%s: quote %r" % (stem, w)):
                continue
            sp = r.create_annotation.annotation.spans[0]
            check(span_tuple(sp) == want and sp.exact == w and
                  text[sp.char_start:sp.char_end] == w and
                  text.encode()[sp.byte_start:sp.byte_end].decode() == w,
                  "%s: %r at %r, Python %r" % (stem, w, span_tuple(sp),
                                                want))
            for unit, (s, e) in ((pb.UNIT_BYTES, want[0:2]),
                                 (pb.UNIT_CHARS, want[2:4]),
                                 (pb.UNIT_UTF16, want[4:6])):
                r = create(stem, [rng(unit, s, e)], note=pb.Note(text="r"))
                got = ok(r, "%s %r by %s" % (stem, w, pb.Unit.Name(unit)))
                check(got and span_tuple(
                    r.create_annotation.annotation.spans[0]) == want,
                    "%s %r by %s: same span" % (stem, w,
                                                pb.Unit.Name(unit)))
                tried += 1
    check(tried >= 60, "units tried on the seeds: %d" % tried)
    before = last_seq()
    g003 = SEED_FILES[2][0]
    for sel in (rng(pb.UNIT_UNSPECIFIED, 0, 5), pb.SpanSelector(
            range=pb.Range(start=3, end=9))):
        st = refused(create(g003, [sel], entity=pb.Entity(label="PERSON")),
                     pb.INVALID_ARGUMENT, pb.UNIT_MISSING,
                     "a Range without a unit", "annotation.select")
        check("say which unit" in st.message and "UNIT_CHARS" in st.message,
              "the message says which units: %r" % st.message)
    st = refused(create(g003, [quote("هوانغ", 1), rng(0, 0, 4)],
                        entity=pb.Entity(label="PERSON")),
                 pb.INVALID_ARGUMENT, pb.UNIT_MISSING,
                 "a quote and a Range without unit")
    check(last_seq() == before, "nothing stored: feed at %d" % before)
    q = pb.ListAnnotationsRequest(article_id=g003, label="PERSON")
    r = ok(c.call(request(list_annotations=q)), "list")
    check(len(r.list_annotations.annotations) == 0, "no entity stored")


# ------------------------------------------------------------ masks

def update(ann, paths=None, etag=None, **body):
    u = pb.UpdateAnnotationRequest()
    u.annotation.id = ann.id
    u.annotation.etag = etag if etag is not None else ann.etag
    for k, v in body.items():
        if k == "select":
            u.annotation.select.extend(v)
        else:
            getattr(u.annotation, k).CopyFrom(v)
    if paths is not None:
        u.update_mask.paths.extend(paths)
    return c.call(request(update_annotation=u))


def test_masks():
    art = article("mask", "pt", OWN)
    a = ok(create("mask", [quote("mundo")], entity=pb.Entity(
        label="PERSON", kb_id="Q1", canonical_name="Mundo")),
        "entity to mask").create_annotation.annotation
    r = update(a, ["entity.label"], entity=pb.Entity(label="ORG"))
    b = ok(r, "mask entity.label").update_annotation.annotation
    check(b.entity.label == "ORG" and b.entity.kb_id == "Q1" and
          b.entity.canonical_name == "Mundo" and b.revision == 2 and
          span_tuple(b.spans[0]) == span_tuple(a.spans[0]),
          "only the label changes; the kb id survives: %s" % b.entity)
    r = update(b, ["entity.kb_id"])
    b = ok(r, "mask entity.kb_id, unset").update_annotation.annotation
    check(b.entity.kb_id == "" and b.entity.label == "ORG" and
          b.entity.canonical_name == "Mundo",
          "a field named but not set is cleared: %s" % b.entity)
    r = update(b, ["select"], select=[quote("café")])
    b = ok(r, "mask select").update_annotation.annotation
    check(b.spans[0].exact == "café" and b.entity.label == "ORG",
          "select replaces the spans, the body stays")
    # Without a mask, the body is replaced whole (as before issue 11).
    r = update(b, entity=pb.Entity(label="GPE"))
    b = ok(r, "no mask").update_annotation.annotation
    check(b.entity.label == "GPE" and b.entity.canonical_name == "" and
          b.spans[0].exact == "café", "no mask: body whole, spans kept")
    r = update(b, ["note"], note=pb.Note(text="now a note"))
    b = ok(r, "mask note").update_annotation.annotation
    check(b.kind == pb.KIND_NOTE and b.note.text == "now a note",
          "a body named whole changes the kind")
    r = update(b, ["*"], select=[quote("mundo")],
               entity=pb.Entity(label="PERSON", kb_id="Q2"))
    b = ok(r, "mask *").update_annotation.annotation
    check(b.kind == pb.KIND_ENTITY and b.entity.kb_id == "Q2" and
          b.spans[0].exact == "mundo", "* replaces select and body")
    before, rev = last_seq(), b.revision
    for path in ("entity.foo", "foo", "entity.label.x", "", "note.text.",
                 "select.quote", "entity..label"):
        st = refused(update(b, [path], entity=pb.Entity(label="ORG")),
                     pb.INVALID_ARGUMENT, pb.UPDATE_MASK_PATH_UNKNOWN,
                     "mask path %r" % path, "update_mask.paths")
        check(st.metadata.get("path") == path, "the path is in metadata")
    for path in ("id", "spans", "etag", "revision", "kind", "state",
                 "group", "created_by", "create_time_ms", "update_seq",
                 "updated_by", "article_id", "translation_note.source_span"):
        refused(update(b, ["entity.label", path],
                       entity=pb.Entity(label="ORG")),
                pb.INVALID_ARGUMENT, pb.UPDATE_MASK_PATH_OUTPUT_ONLY,
                "mask path %r" % path, "update_mask.paths")
    refused(update(b, ["note.text"], note=pb.Note(text="x")),
            pb.INVALID_ARGUMENT, pb.UPDATE_MASK_PATH_OTHER_KIND,
            "a note's field on an entity")
    refused(update(b, ["translation_note.source_article_id"]),
            pb.INVALID_ARGUMENT, pb.FIELD_REQUIRED,
            "a new source without its span")
    refused(update(b, ["select"]), pb.INVALID_ARGUMENT, pb.FIELD_REQUIRED,
            "select named, none given")
    refused(update(b, ["entity.label"], entity=pb.Entity(label="NOPE")),
            pb.INVALID_ARGUMENT, pb.LABEL_UNKNOWN, "masked label unknown")
    st = refused(update(b, ["entity.label"], etag="1-1",
                        entity=pb.Entity(label="ORG")),
                 pb.ABORTED, pb.STALE_ETAG, "stale etag with a mask")
    g = ok(c.call(request(get_annotation=pb.GetAnnotationRequest(id=b.id))),
           "get").get_annotation.annotation
    check(last_seq() == before and g.revision == rev and
          g.entity.kb_id == "Q2", "refused masks stored nothing")


# ------------------------------------------------------------ reasons

def test_reasons():
    text = OWN
    st = refused(create("mask", [quote("fim")], note=pb.Note(text="x")),
                 pb.INVALID_ARGUMENT, pb.QUOTE_AMBIGUOUS, "ambiguous",
                 "annotation.select")
    qf = st.quote
    check(qf.article_id == "mask" and qf.occurrence_count == 3 and
          len(qf.occurrences) == 3, "three occurrences: %s" % qf)
    at = -1
    for i, m in enumerate(qf.occurrences):
        at = text.index("fim", at + 1)
        want = python_span(text, at, at + 3)
        check(m.nth == i + 1 and m.article_id == "mask" and
              span_tuple(m.span) == want and m.span.exact == "fim" and
              text[:at].endswith(m.span.prefix) and
              text[at + 3:].startswith(m.span.suffix) and m.span.prefix,
              "occurrence %d in all units with context: %s" % (i + 1, m))
    st = refused(create("mask", [quote("fim", 5)], note=pb.Note(text="x")),
                 pb.INVALID_ARGUMENT, pb.QUOTE_NTH_OUT_OF_RANGE, "nth 5")
    check(st.quote.occurrence_count == 3 and len(st.quote.occurrences) == 3,
          "nth too large lists the occurrences")
    st = refused(create("mask", [quote("fim", prefix="xyz")],
                        note=pb.Note(text="x")),
                 pb.INVALID_ARGUMENT, pb.QUOTE_NOT_FOUND, "wrong prefix")
    check(st.quote.occurrence_count == 0 and not st.quote.occurrences and
          len(st.quote.candidates) == 3 and
          st.quote.candidates[0].span.exact == "fim",
          "a miss with a prefix names the candidates: %s" % st.quote)
    st = refused(create("mask", [quote("nowhere")], note=pb.Note(text="x")),
                 pb.INVALID_ARGUMENT, pb.QUOTE_NOT_FOUND, "absent")
    check(st.quote.article_id == "mask" and not st.quote.candidates,
          "absent: no candidates")
    # 👍🏽 is chars 4-6: a range ending at 5 splits it.
    st = refused(create("mask", [rng(pb.UNIT_CHARS, 0, 5)],
                        note=pb.Note(text="x")),
                 pb.INVALID_ARGUMENT, pb.SPAN_SPLITS_CHARACTER, "split")
    check(st.span.exact == "👍🏽" and
          span_tuple(st.span) == python_span(text, 4, 6),
          "the split cluster in all units: %s" % st.span)
    st = refused(create("mask", [rng(pb.UNIT_UTF16, 0, 5)],
                        note=pb.Note(text="x")),
                 pb.INVALID_ARGUMENT, pb.OFFSET_SPLITS_CODE_POINT,
                 "utf16 between surrogates")
    check(st.span.exact == "👍", "the code point split: %r" % st.span.exact)
    st = refused(create("mask", [rng(pb.UNIT_CHARS, 0, 500)],
                        note=pb.Note(text="x")),
                 pb.INVALID_ARGUMENT, pb.OFFSET_OUT_OF_RANGE, "past the end")
    check(st.metadata.get("char_count") == str(len(text)) and
          st.metadata.get("byte_count") == str(len(text.encode())),
          "the text's length in every unit: %s" % dict(st.metadata))
    st = refused(create("mask", [quote("mundo")],
                        entity=pb.Entity(label="PERSONA")),
                 pb.INVALID_ARGUMENT, pb.LABEL_UNKNOWN, "unknown label",
                 "entity.label")
    check(st.metadata.get("label") == "PERSONA" and
          st.metadata.get("label_set") == "entity",
          "the label and its set: %s" % dict(st.metadata))
    st = refused(create("nosuch", [quote("x")], note=pb.Note(text="x")),
                 pb.NOT_FOUND, pb.ARTICLE_NOT_FOUND, "unknown article")
    check(st.metadata.get("article_id") == "nosuch", "the id")
    # Stale etags: the revision now and who made it.
    a = ok(create("mask", [quote("café")], note=pb.Note(text="v1")),
           "note").create_annotation.annotation
    c2 = pb.Request(author="somebody-else")
    c2.update_annotation.annotation.id = a.id
    c2.update_annotation.annotation.etag = a.etag
    c2.update_annotation.annotation.note.text = "v2"
    b = ok(c.call(c2), "other's update").update_annotation.annotation
    st = refused(update(a, note=pb.Note(text="mine")), pb.ABORTED,
                 pb.STALE_ETAG, "stale etag", "etag")
    cur = st.current
    check(cur.annotation_id == a.id and cur.article_id == "mask" and
          cur.revision == 2 and cur.etag == b.etag and
          cur.author == "somebody-else" and cur.seq == b.update_seq and
          cur.state == pb.STATE_ACTIVE and cur.time_ms > 0,
          "the current revision and its author: %s" % cur)
    d = pb.DeleteAnnotationRequest(id=a.id, etag=b.etag)
    ok(c.call(request(delete_annotation=d)), "delete")
    st = refused(c.call(request(delete_annotation=d)),
                 pb.FAILED_PRECONDITION, pb.ANNOTATION_DELETED, "twice")
    check(st.current.state == pb.STATE_DELETED and
          st.current.author == "contract-test", "the tombstone: %s" %
          st.current)
    article("stale", "en", "text")
    st = refused(c.call(request(delete_article=pb.DeleteArticleRequest(
        id="stale", etag="nope"))), pb.ABORTED, pb.STALE_ETAG, "article")
    check(st.current.article_id == "stale" and st.current.revision == 1 and
          st.current.author == "contract-test" and
          st.current.annotation_id == 0, "article's current: %s" %
          st.current)


# ------------------------------------------------------------ reads

def listing(**kw):
    return c.call(request(list_annotations=pb.ListAnnotationsRequest(**kw)))


def test_reads():
    last = last_seq()
    t0 = time.monotonic()
    st = refused(c.call(request(list_changes=pb.ListChangesRequest(
        since_seq=last + 5, wait_ms=30000)), 40), pb.OUT_OF_RANGE,
        pb.SEQ_PAST_END, "a cursor past the end", "since_seq")
    took = time.monotonic() - t0
    check(took < 1.0, "OUT_OF_RANGE at once, not after the wait: %.3f s" %
          took)
    check(st.metadata.get("last_seq") == str(last), "last_seq in metadata")
    t0 = time.monotonic()
    r = ok(c.call(request(list_changes=pb.ListChangesRequest(
        since_seq=last, wait_ms=300))), "a poll at the end")
    check(len(r.list_changes.changes) == 0 and
          time.monotonic() - t0 >= 0.25, "at the end a poll waits")
    refused(listing(label="PERSN"), pb.INVALID_ARGUMENT, pb.LABEL_UNKNOWN,
            "unknown label filter", "label")
    st = refused(listing(label="minor"), pb.INVALID_ARGUMENT,
                 pb.LABEL_UNKNOWN, "a severity as label")
    check("severity" in st.message, "says to filter by severity")
    r = ok(listing(label="LAW"), "a known label nobody used")
    check(len(r.list_annotations.annotations) == 0, "known-empty: empty")
    article("sev-src", "en", "The cat sat on the mat.")
    article("sev-tgt", "pt", "O gato sentou no tapete.", "sev-src")
    for w, sev in (("gato", "minor"), ("tapete", "major"),
                   ("sentou", "minor")):
        ok(create("sev-tgt", [quote(w)], translation_note=pb.TranslationNote(
            category="accuracy/mistranslation", severity=sev)), "flag")
    r = ok(listing(severity="minor"), "severity filter")
    got = sorted(a.spans[0].exact for a in r.list_annotations.annotations)
    check(got == ["gato", "sentou"], "severity minor: %r" % got)
    r = ok(listing(severity="critical", article_id="sev-tgt"), "critical")
    check(len(r.list_annotations.annotations) == 0, "none critical")
    r = ok(listing(severity="minor", page_size=1), "paged")
    tok = r.list_annotations.next_page_token
    r2 = ok(listing(severity="minor", page_size=1, page_token=tok), "page 2")
    check(len(r2.list_annotations.annotations) == 1 and
          r2.list_annotations.annotations[0].id !=
          r.list_annotations.annotations[0].id, "severity pages")
    refused(listing(severity="minor", page_size=1, page_token=tok,
                    label="ORG"), pb.INVALID_ARGUMENT,
            pb.PAGE_TOKEN_INVALID, "token of another filter")
    refused(listing(severity="huge"), pb.INVALID_ARGUMENT, pb.LABEL_UNKNOWN,
            "unknown severity", "severity")
    refused(c.call(request(export=pb.ExportRequest(format="w3c",
                                                   label="PERSN"))),
            pb.INVALID_ARGUMENT, pb.LABEL_UNKNOWN, "export label", "label")


# ------------------------------------------------------------ CLI

def test_cli(tmp, sock):
    def run(*args, **kw):
        return gloss(*args, sock=kw.get("to", sock))

    def one_json(err):
        lines = err.decode().splitlines()
        return json.loads(lines[0]) if len(lines) == 1 else {}

    r = run("show", "nope", "--json")
    e = one_json(r.stderr)
    check(r.returncode == 4 and r.stdout == b"" and
          e.get("code") == "NOT_FOUND" and
          e.get("reason") == "ARTICLE_NOT_FOUND" and
          e.get("metadata", {}).get("article_id") == "nope",
          "show nope --json: %d %r" % (r.returncode, r.stderr))
    r = run("tag", "mask", "--quote", "fim", "--label", "PERSON", "--json")
    e = one_json(r.stderr)
    occ = e.get("quote", {}).get("occurrences", [])
    check(r.returncode == 3 and e.get("reason") == "QUOTE_AMBIGUOUS" and
          len(occ) == 3 and occ[1].get("nth") == 2 and
          "byteStart" in occ[0]["span"] and "start" not in occ[0]["span"],
          "ambiguous tag --json: %d %r" % (r.returncode, r.stderr))
    r = run("tag", "mask", "--quote", "fim", "--label", "PERSON")
    check(r.returncode == 3 and r.stderr.startswith(b"gloss: 'fim' occurs")
          and r.stderr.endswith(b"(INVALID_ARGUMENT)\n"), "text error")
    r = run("rm-article", "stale")
    r = run("rm-article", "stale", "--json")
    e = one_json(r.stderr)
    check(r.returncode == 5 and e.get("reason") == "ARTICLE_DELETED",
          "a second delete: conflict, 5: %d %r" % (r.returncode, r.stderr))
    r = run("articles", "--json", to="ipc://" + tmp + "/nothing.sock")
    e = one_json(r.stderr)
    check(r.returncode == 6 and e.get("code") == "UNAVAILABLE",
          "no glossd: 6, JSON: %d %r" % (r.returncode, r.stderr))
    r = run("import", "--lang", "en", os.path.join(tmp, "missing.txt"),
            "--json")
    e = one_json(r.stderr)
    check(r.returncode == 1 and e.get("code") == "UNKNOWN" and
          "missing.txt" in e.get("message", ""),
          "a local error: 1, JSON: %d %r" % (r.returncode, r.stderr))
    r = run("annotations", "--bogus")
    check(r.returncode == 2, "usage: 2")
    r = run("changes", "--since", "999999", "--json")
    e = one_json(r.stderr)
    check(r.returncode == 3 and e.get("reason") == "SEQ_PAST_END",
          "changes past the end: 3: %d %r" % (r.returncode, r.stderr))


# ------------------------------------------------------------ docs

def test_docs():
    """Every reason is in docs/protocol.md's table, every renamed Span
    field in the docs."""
    top = os.path.dirname(os.environ["GLOSS_PROTO"])
    doc = open(os.path.join(top, "docs", "protocol.md")).read()
    for v in pb.Reason.DESCRIPTOR.values:
        check("| `%s`" % v.name in doc, "protocol.md lists %s" % v.name)
    for name in ("byte_start", "byteStart", "OUT_OF_RANGE", "update_mask",
                 "UNIT_UNSPECIFIED"):
        check(name in doc, "protocol.md names %s" % name)


def main():
    global pb, c
    tmp = tempfile.mkdtemp(prefix="gloss-contract-")
    os.environ["GLOSS_USER"] = "contract-test"
    pb = glossproto.load(tmp)
    proc, sock, port = glossproto.start(tmp, GLOSSD)
    os.environ["GLOSS_SOCKET"] = sock
    try:
        for stem, lang, orig in SEED_FILES:
            glosstest.import_seed(stem, lang, orig)
        c = glossproto.Glossd(pb, port)
        test_units()
        test_masks()
        test_reasons()
        test_reads()
        test_cli(tmp, sock)
        test_docs()
    finally:
        stop_glossd(proc)
    glosstest.finish(tmp)
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
