#!/usr/bin/python3
"""Every refusal glossd can make, driven with long non-ASCII text in every
field a message may quote (quotes, ids, labels, languages, formats, etags,
tokens, mask paths, authors), at lengths around every cut a message makes:
each Status must be valid UTF-8 in every string (message, field, metadata,
the quote's occurrences), its message at most 4 KiB, its reason set; and
nothing is stored.  The reply is walked by the descriptor over its raw
bytes, so that bad UTF-8 is seen rather than refused by the parser.
"""
import os
import shutil
import sys
import tempfile

import glossproto
import glosstest
from glosstest import G000, G003, GLOSSD, SEED_FILES, check, stop_glossd

MESSAGE_MAX = 4096
LONG = 16385  # bytes over every limit of a field's length
WRITES = ("id", "language", "translation_of", "title", "title/url/metadata",
          "delete id", "delete etag", "article_id", "quote",
          "quote prefix", "ambiguous", "nth", "label", "kb_id", "name",
          "note", "verdict", "evidence", "evidence article", "category",
          "severity", "source", "range no unit", "range past",
          "update etag", "mask path", "mask body path", "add set",
          "add name", "add description", "import format", "import data",
          "import token", "request_id")
pb = None
c = None
seen = {}  # reason name: refusals seen
oks = []   # what was not refused (reads that found nothing)


def varint(buf, i):
    n = shift = 0
    while True:
        b = buf[i]
        i += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return n, i


def utf8_strings(buf, desc, path, bad):
    """Appends to bad the path of every string field of message desc in
    buf that is not valid UTF-8."""
    i = 0
    while i < len(buf):
        key, i = varint(buf, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            _, i = varint(buf, i)
            continue
        if wt in (1, 5):
            i += 8 if wt == 1 else 4
            continue
        n, i = varint(buf, i)
        val, i = buf[i:i + n], i + n
        f = desc.fields_by_number.get(num)
        if f is None:
            bad.append(path + ".#%d" % num)
        elif f.type == f.TYPE_STRING:
            try:
                val.decode("utf-8")
            except UnicodeDecodeError:
                bad.append(path + "." + f.name)
        elif f.type == f.TYPE_MESSAGE:
            utf8_strings(val, f.message_type, path + "." + f.name, bad)


def status_bytes(raw):
    """The packed Status of a packed Reply (field 1)."""
    i = 0
    while i < len(raw):
        key, i = varint(raw, i)
        if key & 7 != 2:
            raise ValueError("Reply field %d not length-delimited" % key)
        n, i = varint(raw, i)
        if key >> 3 == 1:
            return raw[i:i + n]
        i += n
    return b""


def drive(what, q):
    """Sends q, which glossd must refuse; checks the refusal's Status."""
    raw = c.raw(q)
    st_raw = status_bytes(raw)
    bad = []
    utf8_strings(st_raw, pb.Status.DESCRIPTOR, "status", bad)
    if not check(not bad, "%s: not UTF-8: %s" % (what, bad)):
        return None
    st = pb.Status.FromString(st_raw)
    if st.code == pb.OK:
        oks.append(what)
        return st
    name = pb.Reason.Name(st.reason)
    seen[name] = seen.get(name, 0) + 1
    check(st.reason != pb.REASON_UNSPECIFIED,
          "%s: a reason (%s)" % (what, st.message[:80]))
    check(len(st.message.encode()) <= MESSAGE_MAX and st.message,
          "%s: message of %d bytes" % (what, len(st.message.encode())))
    for d in st.details:
        check(d.field and d.description == st.message,
              "%s: field violation %r" % (what, d.field))
    for k, v in st.metadata.items():
        check(len(v.encode()) <= 256 + 3, "%s: metadata %s of %d bytes" %
              (what, k, len(v.encode())))
    return st


def strings():
    """Non-ASCII strings that cut near every limit a message quotes at
    (40, 64, 80, 140, 200, 256, 512, 4096 bytes): Arabic with marks,
    emoji with modifiers, combining accents."""
    unit = "تْرَامْب 👍🏽 e\u0301 ação "
    long = unit * 4000
    out = []
    for n in (37, 41, 63, 65, 79, 81, 139, 141, 199, 201, 255, 257, 511,
              513, 4095, 4097, 70000):
        s = long.encode()[:n].decode("utf-8", "ignore")
        out.append(s)
    return out


def req(**arms):
    q = pb.Request(author="messages-test")
    for k, v in arms.items():
        getattr(q, k).CopyFrom(v)
    return q


def ann(article_id=G003, sel=None, **body):
    a = pb.Annotation(article_id=article_id)
    a.select.append(sel if sel is not None else
                    pb.SpanSelector(quote=pb.Quote(exact="هوانغ", nth=1)))
    for k, v in body.items():
        getattr(a, k).CopyFrom(v)
    return req(create_annotation=pb.CreateAnnotationRequest(annotation=a))


def quote(s, nth=0, prefix=""):
    return pb.SpanSelector(quote=pb.Quote(exact=s, nth=nth, prefix=prefix))


def article_requests(s):
    A = pb.Article
    yield "id", req(create_article=pb.CreateArticleRequest(
        article=A(id=s, language="pt", text="x")))
    yield "language", req(create_article=pb.CreateArticleRequest(
        article=A(language=s, text="x")))
    yield "translation_of", req(create_article=pb.CreateArticleRequest(
        article=A(language="pt", text="x", translation_of=s)))
    yield "title", req(create_article=pb.CreateArticleRequest(
        article=A(language="pt", text="x", title=s + "x" * LONG)))
    yield "title", req(create_article=pb.CreateArticleRequest(
        article=A(language="pt", text="", title=s)))
    a = A(language="pt", text="x", source_url=s + "x" * LONG)
    a.metadata[s] = s + "x" * LONG
    yield "title/url/metadata", req(create_article=pb.CreateArticleRequest(
        article=a))
    yield "get id", req(get_article=pb.GetArticleRequest(id=s))
    yield "list language", req(list_articles=pb.ListArticlesRequest(
        language=s))
    yield "list group", req(list_articles=pb.ListArticlesRequest(group=s))
    yield "list token", req(list_articles=pb.ListArticlesRequest(
        page_token=s))
    yield "delete id", req(delete_article=pb.DeleteArticleRequest(id=s))
    yield "delete etag", req(delete_article=pb.DeleteArticleRequest(
        id=G000, etag=s))


def annotation_requests(s, etag):
    yield "article_id", ann(article_id=s, note=pb.Note(text="x"))
    yield "quote", ann(sel=quote(s), note=pb.Note(text="x"))
    yield "quote prefix", ann(sel=quote("ال", prefix=s),
                              note=pb.Note(text="x"))
    yield "ambiguous", ann(sel=quote("ال"), note=pb.Note(text=s))
    yield "nth", ann(sel=quote("ال", nth=100000), note=pb.Note(text=s))
    yield "label", ann(entity=pb.Entity(label=s))
    yield "kb_id", ann(entity=pb.Entity(label="PERSON", kb_id=s))
    yield "name", ann(entity=pb.Entity(label="PERSON",
                                       canonical_name=s + "x" * LONG))
    yield "note", ann(note=pb.Note(text=s + "x" * LONG))
    yield "verdict", ann(fact_correction=pb.FactCorrection(verdict=s))
    fc = pb.FactCorrection(verdict="refuted", claim=s)
    fc.evidence.add(url=s)
    yield "evidence", ann(fact_correction=fc)
    fc = pb.FactCorrection(verdict="refuted")
    fc.evidence.add(article_id=s)
    yield "evidence article", ann(fact_correction=fc)
    yield "category", ann(translation_note=pb.TranslationNote(category=s))
    yield "severity", ann(translation_note=pb.TranslationNote(
        category="other", severity=s))
    yield "source", ann(translation_note=pb.TranslationNote(
        category="other", severity="minor", source_article_id=s))
    yield "range no unit", ann(sel=pb.SpanSelector(range=pb.Range(
        start=0, end=len(s))), note=pb.Note(text=s))
    yield "range past", ann(sel=pb.SpanSelector(range=pb.Range(
        unit=pb.UNIT_CHARS, start=1, end=10 ** 7)), note=pb.Note(text=s))
    u = pb.UpdateAnnotationRequest()
    u.annotation.id, u.annotation.etag = 1, s
    u.annotation.note.text = "x"
    yield "update etag", req(update_annotation=u)
    u = pb.UpdateAnnotationRequest()
    u.annotation.id, u.annotation.etag = 1, etag
    u.update_mask.paths.extend(["entity.label", s])
    yield "mask path", req(update_annotation=u)
    u.update_mask.paths[:] = ["entity." + s]
    yield "mask body path", req(update_annotation=u)
    yield "delete etag", req(delete_annotation=pb.DeleteAnnotationRequest(
        id=1, etag=s))


def read_requests(s):
    L = pb.ListAnnotationsRequest
    for f in ("article_id", "group", "label", "kb_id", "author",
              "severity", "page_token"):
        yield "list " + f, req(list_annotations=L(**{f: s}))
    yield "history token", req(
        get_annotation_history=pb.GetAnnotationHistoryRequest(
            id=1, page_token=s))
    yield "labels set", req(list_labels=pb.ListLabelsRequest(set=s))
    yield "labels token", req(list_labels=pb.ListLabelsRequest(
        page_token=s))
    yield "add set", req(add_label=pb.AddLabelRequest(
        set=s, label=pb.Label(name="X")))
    yield "add name", req(add_label=pb.AddLabelRequest(
        set="entity", label=pb.Label(name=s)))
    yield "add description", req(add_label=pb.AddLabelRequest(
        set="entity", label=pb.Label(name="X1", description=s + "x" * LONG)))
    S = pb.SearchTextRequest
    yield "search text", req(search_text=S(text=s + "x" * LONG))
    yield "search article", req(search_text=S(text="x", article_id=s))
    yield "search group", req(search_text=S(text="x", group=s))
    yield "search token", req(search_text=S(text="x", page_token=s))
    yield "stats article", req(get_stats=pb.GetStatsRequest(article_id=s))
    yield "stats group", req(get_stats=pb.GetStatsRequest(group=s))
    yield "group", req(get_translation_group=pb.GetTranslationGroupRequest(
        group=s))
    yield "no group", req(get_translation_group=pb.GetTranslationGroupRequest(
        group="no-such-group"))
    E = pb.ExportRequest
    yield "export format", req(export=E(format=s))
    for f in ("label", "article_id", "page_token"):
        yield "export " + f, req(export=E(format="w3c", **{f: s}))
    I = pb.ImportRecordsRequest
    yield "import format", req(import_records=I(format=s))
    yield "import data", req(import_records=I(format="jsonl", data=s))
    yield "import token", req(import_records=I(format="jsonl",
                                               import_token=s, data=s))


def envelope_requests(s):
    q = req(get_article=pb.GetArticleRequest(id=G000, omit_text=True))
    q.author = s
    yield "author", q
    q = req(create_article=pb.CreateArticleRequest(
        article=pb.Article(language="pt", text="x")))
    q.request_id = s
    yield "request_id", q


def main():
    global pb, c
    tmp = tempfile.mkdtemp(prefix="gloss-messages-")
    os.environ["GLOSS_USER"] = "messages-test"
    pb = glossproto.load(tmp)
    proc, sock, port = glossproto.start(tmp, GLOSSD)
    os.environ["GLOSS_SOCKET"] = sock
    try:
        for stem, lang, orig in SEED_FILES:
            glosstest.import_seed(stem, lang, orig)
        c = glossproto.Glossd(pb, port)
        r = c.call(ann(note=pb.Note(text="the one annotation")))
        check(r.status.code == pb.OK, "an annotation to update")
        etag = r.create_annotation.annotation.etag
        # A long passage twelve times: the ambiguity lists long quotes.
        para = strings()[-3]  # 4095 bytes: the longest quote is 4096
        r = c.call(req(create_article=pb.CreateArticleRequest(
            article=pb.Article(id="rep", language="ar",
                               text=(para + "\n") * 12))))
        check(r.status.code == pb.OK, "the repeated article")
        before = c.call(req(get_server_info=pb.GetServerInfoRequest())) \
            .get_server_info.last_seq
        refusals = 0
        for s in strings():
            for gen in (article_requests(s), annotation_requests(s, etag),
                        read_requests(s), envelope_requests(s)):
                for what, q in gen:
                    st = drive("%s (%d bytes)" % (what, len(s.encode())), q)
                    refusals += st is not None and st.code != pb.OK
        st = drive("a long ambiguous quote", ann(
            article_id="rep", sel=quote(para), note=pb.Note(text="x")))
        check(st is not None and st.quote.occurrence_count == 12 and
              len(st.quote.occurrences) == 12 and
              st.quote.occurrences[11].span.exact == para,
              "every occurrence of a long quote in Status.quote")
        after = c.call(req(get_server_info=pb.GetServerInfoRequest())) \
            .get_server_info.last_seq
        check(after == before, "nothing stored: feed %d, now %d" %
              (before, after))
        check(refusals > 1000, "refusals driven: %d" % refusals)
        for want in ("FIELD_INVALID", "FIELD_OVER_LIMIT", "QUOTE_NOT_FOUND",
                     "QUOTE_AMBIGUOUS", "QUOTE_NTH_OUT_OF_RANGE",
                     "LABEL_UNKNOWN", "LABEL_SET_UNKNOWN", "STALE_ETAG",
                     "UNIT_MISSING", "OFFSET_OUT_OF_RANGE",
                     "UPDATE_MASK_PATH_UNKNOWN", "FORMAT_UNKNOWN",
                     "PAGE_TOKEN_INVALID", "ARTICLE_NOT_FOUND",
                     "DATA_FOLDER_NOT_EMPTY", "FIELD_REQUIRED",
                     "GROUP_NOT_FOUND"):
            check(seen.get(want, 0) > 0, "driven through %s" % want)
        writes = [w for w in oks if w.split(" (")[0] in WRITES]
        check(not writes, "writes all refused: %s" % writes)
        print("not refused (reads):", ", ".join(oks))
        print("reasons seen:", ", ".join("%s %d" % kv
                                         for kv in sorted(seen.items())))
    finally:
        stop_glossd(proc)
    glosstest.finish(tmp)
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
