#!/usr/bin/env python3
"""Integration test of the annotator's verbs of the gloss CLI.

Runs a real glossd on a temporary folder and, through the `gloss` binary
only, tags, corrects, flags, notes, edits, deletes, lists, shows and finds,
as an annotator would.  Every span glossd returns is checked against
Python's own arithmetic: the UTF-8 bytes, code points (len of a str) and
UTF-16 units (encode('utf-16-le')), and the 32-code-point TextQuote
context.  Then glossd is restarted on the same folder and everything must
still be there.  Needs only Python's standard library.  Run by ctest with
GLOSSD, GLOSS and GLOSS_SEEDS set; without the seeds, the seed checks are
skipped and the checks on our own text still run.
"""
import json
import os
import re
import shutil
import subprocess
import tempfile

import glosstest
from glosstest import GLOSS, SEEDS, check, gloss, start_glossd, stop_glossd

from glosstest import G000, G001, G002, G003, G004, SEED_FILES, import_seed

# Our own text for what the seeds lack: an emoji with a skin tone, a ZWJ
# family, two flags, a combining accent (e + U+0301), Arabic with harakat,
# CRLF, and a word that occurs three times.
OWN = ("Olá 👍🏽 mundo 🇵🇹🇧🇷 — família 👨\u200d👩\u200d👧 no café, "
       "cafe\u0301 e الْعَرَبِيَّة\r\nfim, fim, fim.\n")

texts = {}  # article id -> its text (str)


def gloss_json(*args):
    """The --json lines of a gloss run that must succeed, parsed."""
    r = gloss(*args, "--json")
    if not check(r.returncode == 0, "gloss %s: %s" % (" ".join(args),
                                                       r.stderr.decode())):
        return []
    return [json.loads(line) for line in r.stdout.decode().splitlines()]


# ------------------------------------------------------------ spans

def units(text, start, end):
    """Byte offsets [start, end) of text in code points and UTF-16 units."""
    data = text.encode()
    before = data[:start].decode()
    upto = data[:end].decode()
    return (len(before), len(upto), len(before.encode("utf-16-le")) // 2,
            len(upto.encode("utf-16-le")) // 2)


def check_span(span, article, what, exact=None):
    """Checks every field of a Span against Python's arithmetic."""
    text = texts[article]
    data = text.encode()
    start, end = span.get("byteStart", 0), span.get("byteEnd", 0)
    if not check(0 <= start < end <= len(data),
                 "%s: byte range %d-%d in %d bytes" % (what, start, end,
                                                        len(data))):
        return
    try:
        got = data[start:end].decode()
    except UnicodeDecodeError:
        check(False, "%s: bytes %d-%d are not on character boundaries" %
              (what, start, end))
        return
    check(got == span.get("exact", ""), "%s: text[%d:%d] is %r, exact %r" %
          (what, start, end, got, span.get("exact")))
    if exact is not None:
        check(got == exact, "%s: %r, wanted %r" % (what, got, exact))
    cs, ce, us, ue = units(text, start, end)
    for key, want in (("charStart", cs), ("charEnd", ce),
                      ("utf16Start", us), ("utf16End", ue)):
        check(span.get(key, 0) == want, "%s: %s %r, Python %r" %
              (what, key, span.get(key, 0), want))
    check(span.get("prefix", "") == text[max(0, cs - 32):cs],
          "%s: prefix %r" % (what, span.get("prefix")))
    check(span.get("suffix", "") == text[ce:ce + 32],
          "%s: suffix %r" % (what, span.get("suffix")))


def occurrences(article, quote):
    """Byte offsets of every occurrence of quote (our texts have no match
    that splits a grapheme, so str.find is the reference)."""
    data, q = texts[article].encode(), quote.encode()
    at, i = [], data.find(q)
    while i >= 0:
        at.append(i)
        i = data.find(q, i + 1)
    return at


def check_annotation(a, article, what):
    """Checks every span of an annotation, its evidence and its source."""
    check(a.get("articleId") == article, what + ": articleId")
    check(a.get("spans"), what + ": has spans")
    for i, s in enumerate(a.get("spans", [])):
        check_span(s, article, "%s span %d" % (what, i))
    for i, e in enumerate(a.get("factCorrection", {}).get("evidence", [])):
        if e.get("articleId"):
            check_span(e.get("span", {}), e["articleId"],
                       "%s evidence %d" % (what, i))
    t = a.get("translationNote", {})
    if t.get("sourceSpan"):
        check_span(t["sourceSpan"], t["sourceArticleId"], what + " source")


def create(verb, article, *args, what=None, exact=None, at=None):
    """Runs a writing verb with --json; checks and returns the annotation."""
    what = what or "%s %s %s" % (verb, article, " ".join(args))
    rows = gloss_json(verb, article, *args)
    if not check(len(rows) == 1, what + ": one annotation printed"):
        return {}
    a = rows[0]
    check_annotation(a, article, what)
    spans = a.get("spans", [{}])
    if exact is not None:
        check(spans[0].get("exact") == exact, "%s: exact %r" %
              (what, spans[0].get("exact")))
    if at is not None:
        check(spans[0].get("byteStart", 0) == at, "%s: at byte %r, Python %r" %
              (what, spans[0].get("byteStart", 0), at))
    check(a.get("revision") == "1" and a.get("state") == "STATE_ACTIVE",
          what + ": revision 1, active")
    return a


def refuse(what, args, *needles, code=None):
    """A gloss run that glossd must refuse (code None: the exit code is the
    class of the status its message ends with, glosstest.EXIT) or the CLI
    (code 2)."""
    r = gloss(*args)
    err = r.stderr.decode()
    if code is None:
        # glossd's message is the line "gloss: ... (CODE)"; hints (a
        # missed quote's candidates) may follow it.
        m = re.search(r"^gloss: .*\(([A-Z_]+)\)\s*$", err, re.M)
        code = glosstest.EXIT.get(m.group(1), 1) if m else 1
    check(r.returncode == code, "%s: exit %d, wanted %d (%s)" %
          (what, r.returncode, code, err.strip()))
    for n in needles:
        check(n in err, "%s: %r not in %r" % (what, n, err))
    return err


# ------------------------------------------------------------ the seeds

def import_seeds():
    for stem, lang, orig in SEED_FILES:
        texts[stem] = import_seed(stem, lang, orig)[1].decode()


def tag_seed_entities():
    made = {}
    tags = [  # article, quote, nth, label, extra flags
        (G000, "Jensen Huang", 0, "PERSON", ["--kb", "Q305177"]),
        (G000, "Mar-a-Lago", 0, "FAC", ["--kb", "Q1141920"]),
        (G000, "NVIDIA", 2, "ORG", ["--kb", "Q182477"]),
        (G001, "Jensen Huang", 0, "PERSON", ["--kb", "Q305177",
                                             "--name", "Jensen Huang"]),
        (G001, "NPR", 1, "ORG", []),
        (G001, "Huawei", 0, "ORG", []),
        (G003, "ترامب", 2, "PERSON", ["--kb", "Q22686"]),
        (G003, "ترامب", 7, "PERSON", []),
        (G003, "هوانغ", 1, "PERSON", ["--name", "Jensen Huang"]),
        (G003, "نفيديا", 0, "ORG", []),
        (G004, "Nvidia", 1, "ORG", ["--kb", "Q182477"]),
        (G004, "TSMC", 0, "ORG", []),
        (G004, "Mar-a-Lago", 0, "FAC", []),
    ]
    for art, quote, nth, label, extra in tags:
        args = ["--quote", quote, "--label", label, *extra]
        if nth:
            args += ["--nth", str(nth)]
        want = occurrences(art, quote)
        check(len(want) >= max(nth, 1), "%s occurs in %s" % (quote, art))
        a = create("tag", art, *args, exact=quote,
                   at=want[max(nth, 1) - 1] if want else None)
        check(a.get("kind") == "KIND_ENTITY" and
              a.get("entity", {}).get("label") == label,
              "tag %s: entity %s" % (quote, label))
        made[(art, quote, nth)] = a
    # Disambiguated by context instead of a number: the second Huang of 001.
    a = create("tag", G001, "--quote", "Huang", "--prefix", "NPR. ",
               "--label", "PERSON", exact="Huang",
               at=occurrences(G001, "Huang")[1])
    # A discontinuous mention: two spans, one annotation, in text order.
    a = create("tag", G001, "--quote", "Huang", "--nth", "4",
               "--quote", "Jensen Huang", "--label", "PERSON")
    spans = a.get("spans", [])
    check(len(spans) == 2 and spans[0]["byteStart"] < spans[1]["byteStart"],
          "discontinuous: two spans in text order: %r" % spans)
    return made


def correct_and_flag():
    a = create("correct", G001, "--quote", "$ 18 billion", "--to",
               "$16 billion", "--verdict", "refuted", "--evidence",
               G000 + ":US $ 16 bilhões", "--evidence-nth", "1",
               "--evidence", "https://example.org/h20-sales",
               "--comment", "000 says 16",
               exact="$ 18 billion", at=occurrences(G001, "$ 18 billion")[0])
    fc = a.get("factCorrection", {})
    check(fc.get("corrected") == "$16 billion" and
          fc.get("verdict") == "refuted" and
          fc.get("claim") == "$ 18 billion",
          "correction body (claim defaults to the quote): %r" % fc)
    ev = fc.get("evidence", [])
    check(len(ev) == 2 and ev[0].get("articleId") == G000 and
          ev[0].get("span", {}).get("exact") == "US $ 16 bilhões" and
          ev[0]["span"].get("byteStart") == occurrences(G000,
                                                    "US $ 16 bilhões")[0]
          and ev[1].get("url") == "https://example.org/h20-sales",
          "evidence: a span of 000 and a URL: %r" % ev)
    refuse("ambiguous evidence quote",
           ["correct", G001, "--quote", "$ 18 billion", "--to", "x",
            "--verdict", "refuted", "--evidence", G000 + ":US $ 16 bilhões"],
           "INVALID_ARGUMENT", "nth=1", "nth=2")
    t = create("flag", G001, "--quote", "double -limited sword",
               "--source-quote", "faca de dois gumes", "--category",
               "accuracy/mistranslation", "--severity", "major",
               "--suggest", "double-edged sword",
               exact="double -limited sword")
    tn = t.get("translationNote", {})
    check(tn.get("sourceArticleId") == G000 and
          tn.get("sourceSpan", {}).get("exact") == "faca de dois gumes" and
          tn.get("sourceSpan", {}).get("byteStart") ==
          occurrences(G000, "faca de dois gumes")[0] and
          tn.get("category") == "accuracy/mistranslation" and
          tn.get("severity") == "major" and
          tn.get("suggestion") == "double-edged sword",
          "translation note: source from translation_of: %r" % tn)
    create("flag", G003, "--quote", "نفيديا", "--source", G000,
           "--source-quote", "Nvidia", "--source-nth", "1",
           "--category", "fluency/spelling", "--severity", "minor")
    refuse("flag on an article that translates nothing",
           ["flag", G004, "--quote", "lèses", "--source-quote", "x",
            "--category", "fluency/spelling", "--severity", "minor"],
           "not a translation", "--source")
    n = create("note", G004, "--quote", "lèses", "--text",
               "sic: licences", exact="lèses")
    check(n.get("note", {}).get("text") == "sic: licences", "note body")
    return a, t


# ------------------------------------------------------------ own text

def own_text(tmp):
    path = os.path.join(tmp, "own.txt")
    with open(path, "wb") as f:
        f.write(OWN.encode())
    r = gloss("import", "--lang", "pt", "--id", "own", path)
    check(r.returncode == 0, "import own: %s" % r.stderr)
    texts["own"] = OWN
    data = OWN.encode()

    def span_of(quote, unit, nth=1):
        at = occurrences("own", quote)[nth - 1]
        cs, ce, us, ue = units(OWN, at, at + len(quote.encode()))
        return {"bytes": (at, at + len(quote.encode())), "chars": (cs, ce),
                "utf16": (us, ue)}[unit]

    for quote in ("👍🏽", "👨\u200d👩\u200d👧", "🇵🇹", "🇧🇷", "cafe\u0301",
                  "الْعَرَبِيَّة", "\r\n", "é"):
        # Canonically equivalent text is an occurrence too (issue 13):
        # café written e + U+0301 is the second café, é's first is NFC.
        nth = ["--nth", "2"] if quote == "cafe\u0301" else \
            ["--nth", "1"] if quote == "é" else []
        a = create("tag", "own", "--quote", quote, *nth, "--label",
                   "PRODUCT", exact=quote, at=occurrences("own", quote)[0])
        for unit in ("chars", "utf16", "bytes"):
            s, e = span_of(quote, unit)
            b = create("tag", "own", "--span", "%d:%d" % (s, e), "--unit",
                       unit, "--label", "PRODUCT", exact=quote,
                       what="tag own %r by %s %d:%d" % (quote, unit, s, e))
            check(b.get("spans") == a.get("spans"),
                  "%r by %s = by quote" % (quote, unit))
    # chars is the default unit
    s, e = span_of("mundo", "chars")
    create("tag", "own", "--span", "%d:%d" % (s, e), "--label", "LOC",
           exact="mundo")
    create("tag", "own", "--quote", "fim", "--nth", "3", "--label",
           "CARDINAL", at=occurrences("own", "fim")[2])
    # Spans across CRLF and across the Arabic word.
    create("tag", "own", "--quote", "الْعَرَبِيَّة\r\nfim", "--nth", "1",
           "--label", "LANGUAGE")
    check(len(data) > 0, "own text")


def own_rejections():
    thumbs = occurrences("own", "👍🏽")[0]
    tc = units(OWN, thumbs, thumbs)[0]
    tu = units(OWN, thumbs, thumbs)[2]
    acute = occurrences("own", "cafe\u0301")[0]
    ac = units(OWN, acute, acute)[0]
    crlf = occurrences("own", "\r\n")[0]
    cc = units(OWN, crlf, crlf)[0]
    n_chars = len(OWN)
    cases = [
        ("quote absent", ["--quote", "nowhere"], ["does not occur"]),
        ("ambiguous quote", ["--quote", "fim"],
         ["occurs 3 times", "nth=1", "nth=2", "nth=3"]),
        ("nth too large", ["--quote", "fim", "--nth", "4"], ["no occurrence 4"]),
        ("quote splitting 👍|🏽", ["--quote", "👍"], []),
        ("quote splitting e|U+0301", ["--quote", "cafe"], []),
        ("span splitting 👍|🏽 (chars)",
         ["--span", "%d:%d" % (tc, tc + 1)], ["grapheme"]),
        ("span splitting 👍|🏽 (utf16)",
         ["--span", "%d:%d" % (tu, tu + 2), "--unit", "utf16"], ["grapheme"]),
        ("span splitting e|U+0301",
         ["--span", "%d:%d" % (ac, ac + 4)], ["grapheme"]),
        ("span starting at U+0301",
         ["--span", "%d:%d" % (ac + 4, ac + 6)], ["grapheme"]),
        ("span splitting CR|LF",
         ["--span", "%d:%d" % (cc - 3, cc + 1)], ["grapheme"]),
        ("bytes inside a UTF-8 sequence",
         ["--span", "%d:%d" % (thumbs + 1, thumbs + 8), "--unit", "bytes"],
         ["inside a character"]),
        ("utf16 inside a surrogate pair",
         ["--span", "%d:%d" % (tu + 1, tu + 4), "--unit", "utf16"],
         ["inside a character"]),
        ("empty span", ["--span", "1:1"], ["empty"]),
        ("out of range", ["--span", "0:%d" % (n_chars + 1)], ["out of range"]),
        ("start out of range",
         ["--span", "%d:%d" % (n_chars + 5, n_chars + 9)], ["out of range"]),
        ("one of two spans bad", ["--quote", "mundo", "--quote", "nowhere"],
         ["does not occur"]),
    ]
    for what, args, needles in cases:
        refuse(what, ["tag", "own", *args, "--label", "PERSON"],
               "INVALID_ARGUMENT", *needles)
    err = refuse("unknown label", ["tag", "own", "--quote", "mundo",
                                   "--label", "PERSONA"],
                 "INVALID_ARGUMENT", "PERSONA")
    for label in ("PERSON", "ORG", "GPE", "CARDINAL"):
        check(label in err, "unknown label: allowed ones listed: %r" % err)
    refuse("annotations of a mistyped article id", ["annotations", "nosuch"],
           "NOT_FOUND", "'nosuch'")
    for qid in ("Q0", "305177", "Q12x", "q305177", "Q"):
        refuse("bad QID " + qid, ["tag", "own", "--quote", "mundo",
                                  "--label", "PERSON", "--kb", qid],
               "INVALID_ARGUMENT", "QID")
    refuse("unknown verdict", ["correct", "own", "--quote", "mundo",
                               "--verdict", "wrong", "--to", "x"],
           "INVALID_ARGUMENT", "refuted")
    refuse("unknown MQM severity", ["flag", "own", "--quote", "mundo",
                                    "--source", "own", "--source-quote",
                                    "fim", "--category", "terminology",
                                    "--severity", "huge"],
           "INVALID_ARGUMENT")
    refuse("unknown article", ["tag", "ghost", "--quote", "x", "--label",
                               "PERSON"], "NOT_FOUND")
    # Usage errors: exit 2, nothing sent.
    usage = [
        ("tag without --label", ["tag", "own", "--quote", "mundo"]),
        ("tag without a span", ["tag", "own", "--label", "PERSON"]),
        ("tag without an article", ["tag", "--quote", "x", "--label", "X"]),
        ("--nth without --quote", ["tag", "own", "--span", "1:2", "--nth",
                                   "2", "--label", "PERSON"]),
        ("--nth 0", ["tag", "own", "--quote", "fim", "--nth", "0",
                     "--label", "PERSON"]),
        ("--span without a colon", ["tag", "own", "--span", "12",
                                    "--label", "PERSON"]),
        ("--unit unknown", ["tag", "own", "--span", "1:2", "--unit",
                            "words", "--label", "PERSON"]),
        ("--unit without --span", ["tag", "own", "--quote", "mundo",
                                   "--unit", "bytes", "--label", "PERSON"]),
        ("correct without --verdict", ["correct", "own", "--quote", "mundo",
                                       "--to", "x"]),
        ("refuted without --to", ["correct", "own", "--quote", "mundo",
                                  "--verdict", "refuted"]),
        ("bad --evidence", ["correct", "own", "--quote", "mundo", "--to",
                            "x", "--verdict", "refuted", "--evidence",
                            "no-colon"]),
        ("flag without --severity", ["flag", "own", "--quote", "mundo",
                                     "--category", "terminology"]),
        ("note without --text", ["note", "own", "--quote", "mundo"]),
        ("edit of a non-number", ["edit", "x7", "--label", "ORG"]),
        ("edit with nothing to change", ["edit", "1"]),
        ("rm of a non-number", ["rm", "-3"]),
        ("find with nothing", ["find"]),
        ("annotations --kind unknown", ["annotations", "--kind", "thing"]),
    ]
    for what, args in usage:
        refuse(what, args, "usage: gloss", code=2)


# ------------------------------------------------------------ life cycle

def history(aid):
    return gloss_json("history", str(aid))


def life_cycle():
    a = create("tag", "own", "--quote", "mundo", "--label", "LOC",
               "--as", "ana")
    aid = a.get("id", "0")
    check(a.get("createdBy") == "ana", "--as sets the author")
    r = gloss("edit", aid, "--label", "GPE", "--as", "bruno")
    check(r.returncode == 0 and r.stdout.startswith(
        b"updated annotation %s (revision 2)" % aid.encode()),
        "edit --label: %r %r" % (r.stdout, r.stderr))
    rows = gloss_json("edit", aid, "--kb", "Q1", "--name", "the world",
                      "--quote", "mundo", "--as", "carla")
    e = rows[0] if rows else {}
    check(e.get("revision") == "3" and e.get("entity") ==
          {"label": "GPE", "kbId": "Q1", "canonicalName": "the world"},
          "edit keeps what it is not given: %r" % e.get("entity"))
    check(e.get("updatedBy") == "carla" and e.get("createdBy") == "ana",
          "updatedBy/createdBy after edits")
    check_annotation(e, "own", "edited annotation")
    refuse("edit with another kind's flag", ["edit", aid, "--verdict",
                                             "refuted"],
           "--verdict does not apply", code=2)
    refuse("edit with a bad label", ["edit", aid, "--label", "NOPE"],
           "INVALID_ARGUMENT", "PERSON")
    # Respanning: a new quote replaces the spans.
    rows = gloss_json("edit", aid, "--quote", "família", "--as", "ana")
    check(rows and rows[0]["spans"][0]["exact"] == "família" and
          len(rows[0]["spans"]) == 1, "edit --quote replaces the spans")
    revs = history(aid)
    for x in revs:
        check_annotation(x, "own", "revision %s" % x.get("revision"))
    check([x.get("revision") for x in revs] == ["1", "2", "3", "4"],
          "history: every revision, oldest first")
    check([x.get("updatedBy") for x in revs] ==
          ["ana", "bruno", "carla", "ana"], "history: each author: %r" %
          [x.get("updatedBy") for x in revs])
    check([x.get("entity", {}).get("label") for x in revs] ==
          ["LOC", "GPE", "GPE", "GPE"], "history: each revision's body")
    r = gloss("history", aid)
    lines = r.stdout.decode().splitlines()
    check(r.returncode == 0 and len(lines) == 4 and
          re.match(r"^1  \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ  ana +active +"
                   r"entity LOC chars \d+-\d+ \"mundo\"", lines[0]),
          "history, human: %r" % lines[:1])
    concurrent_edits(aid)
    # rm, then the tombstone in history and listings.
    r = gloss("rm", aid, "--as", "dora")
    check(r.returncode == 0 and r.stdout.startswith(b"deleted annotation " +
                                                    aid.encode()),
          "rm: %r %r" % (r.stdout, r.stderr))
    revs = history(aid)
    last = revs[-1] if revs else {}
    check(last.get("state") == "STATE_DELETED" and
          last.get("updatedBy") == "dora", "history ends with the tombstone")
    ids = [x["id"] for x in gloss_json("annotations", "own")]
    check(aid not in ids, "annotations hides the deleted one")
    rows = [x for x in gloss_json("annotations", "own", "--deleted")
            if x["id"] == aid]
    check(rows and rows[0].get("state") == "STATE_DELETED",
          "annotations --deleted shows it")
    refuse("rm twice", ["rm", aid], "FAILED_PRECONDITION")
    refuse("edit of a deleted one", ["edit", aid, "--label", "ORG"],
           "FAILED_PRECONDITION")
    refuse("rm of an unknown id", ["rm", "999999"], "NOT_FOUND")
    refuse("history of an unknown id", ["history", "999999"], "NOT_FOUND")
    return aid


def concurrent_edits(aid):
    """Edits race; each either lands or is refused, saying who won."""
    before = len(history(aid))
    procs = [subprocess.Popen([GLOSS, "edit", aid, "--name", "n%d" % i,
                               "--as", "racer%d" % i],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for i in range(8)]
    won = 0
    for p in procs:
        out, err = p.communicate(timeout=60)
        check(p.returncode in (0, 5), "racing edit exits 0 or 5: %r" % err)
        if p.returncode == 0:
            won += 1
        else:
            check(b"ABORTED" in err and b"was changed by racer" in err and
                  b"run the command again" in err,
                  "a lost race says who changed it: %r" % err)
    check(won >= 1, "at least one racing edit lands")
    print("racing edits: %d landed, %d refused as stale" % (won, 8 - won))
    revs = history(aid)
    check(len(revs) == before + won, "history: one revision per landed edit"
          " (%d + %d, got %d)" % (before, won, len(revs)))
    names = {x.get("entity", {}).get("canonicalName") for x in revs[before:]}
    check(len(names) == won, "each landed edit is its own revision")


# ------------------------------------------------------------ reading

def listings():
    rows = gloss_json("annotations", G001, "--kind", "entity")
    check(rows and all(x.get("kind") == "KIND_ENTITY" for x in rows),
          "annotations --kind entity: only entities")
    ids = [int(x["id"]) for x in rows]
    check(ids == sorted(ids), "annotations in id order")
    rows = gloss_json("annotations", G001, "--kind", "fact-correction")
    check(len(rows) == 1 and rows[0]["factCorrection"]["verdict"] ==
          "refuted", "annotations --kind fact-correction")
    rows = gloss_json("annotations", "--label", "PERSON")
    arts = {x["articleId"] for x in rows}
    check({G000, G001, G003} <= arts and
          all(x["entity"]["label"] == "PERSON" for x in rows),
          "annotations --label PERSON, corpus-wide: %r" % arts)
    r = gloss("annotations", G001)
    lines = r.stdout.decode().splitlines()
    check(r.returncode == 0 and lines and lines[0].split() ==
          ["ID", "REV", "KIND", "LABEL", "CHARS", "AUTHOR", "QUOTE"],
          "annotations table header: %r" % lines[:1])
    quote_col = lines[0].index("QUOTE") if lines else 0
    check(any("accuracy/mistranslation/major" in x for x in lines) and
          any(x[quote_col:].startswith('"Jensen Huang"') for x in lines),
          "annotations table: MQM label and aligned quote column")
    # Long quotes are cut by characters, with "…".
    # The opening words of the Arabic seed, read from it: over 40
    # characters, whole words, so that the cut falls inside the quote.
    words = texts[G003].split("\n")[0].split(" ")
    quote = " ".join(words[:next(i for i in range(len(words))
                                 if len(" ".join(words[:i])) > 48)])
    create("note", G003, "--quote", quote, "--text", "long")
    r = gloss("annotations", G003, "--kind", "note")
    row = r.stdout.decode().splitlines()[-1]
    check('"%s…"' % quote[:40] in row,
          "long quote cut at 40 characters: %r" % row)


def strip_marks(out):
    return re.sub(r"\]\{[^}]*\}", "", out).replace("[", "")


def show():
    n = len(gloss_json("annotations", G001))
    r = gloss("show", G001)
    out = r.stdout.decode()
    lines = out.split("\n")
    check(lines[-1] == "" and lines[-2 - n] == "",
          "show: the text, a blank line, %d legend lines" % n)
    check(all(re.match(r"^\d+  [a-z-]+ ", x) for x in lines[-1 - n:-1]),
          "legend: one line per annotation: %r" % lines[-1 - n:-1])
    body = "\n".join(lines[:-2 - n]) + "\n"
    check("[Jensen Huang]{PERSON}" in out, "show marks [Jensen Huang]{PERSON}")
    check("[double -limited sword]{accuracy/mistranslation/major}" in out,
          "show marks the translation note")
    check("[$ 18 billion]{refuted}" in out, "show marks the correction")
    check(strip_marks(body) == texts[G001] + ("" if texts[G001].endswith(
        "\n") else "\n"), "show: the text, once the marks are taken out")
    check(re.search(r"^\d+  fact-correction refuted chars \d+-\d+ "
                    r"\"\$ 18 billion\" → \"\$16 billion\"", out, re.M),
          "legend: a correction with → corrected")
    check(re.search(r"^\d+  translation-note accuracy/mistranslation/major "
                    r".*↔ \"faca de dois gumes\"", out, re.M),
          "legend: a translation note with ↔ source quote")
    r = gloss("show", "--plain", G001)
    check(r.stdout == texts[G001].encode(), "show --plain: byte for byte")
    r = gloss("show", G002)
    check(r.stdout == texts[G002].encode(),
          "show of an article without annotations: byte for byte")
    rows = gloss_json("show", G001)
    check(len(rows) == 1 and rows[0].get("text") == texts[G001],
          "show --json: the article only")


def show_nested(tmp):
    """Marks of nested, equal and discontinuous spans, in a text of its
    own."""
    data = "Presidente Lula da Silva visitou Lisboa.\n"
    path = os.path.join(tmp, "nest.txt")
    with open(path, "w") as f:
        f.write(data)
    gloss("import", "--lang", "pt", "--id", "nest", path)
    texts["nest"] = data
    create("tag", "nest", "--quote", "Presidente Lula da Silva",
           "--label", "PERSON")
    create("tag", "nest", "--quote", "Lula da Silva", "--label", "PERSON")
    create("note", "nest", "--quote", "Lula da Silva", "--text", "same")
    create("tag", "nest", "--quote", "Lula", "--quote", "Lisboa",
           "--label", "GPE")
    r = gloss("show", "nest")
    first = r.stdout.decode().split("\n")[0]
    want = ("[Presidente [[[Lula]{GPE} da Silva]{note}]{PERSON}]{PERSON} "
            "visitou [Lisboa]{GPE}.")
    check(first == want, "nested marks: %r, wanted %r" % (first, want))

    # Spans that cross: each bracket pair holds one span's text, so the
    # crossing one is cut in two pieces.
    data = "CEO Jensen Huang NPR reported.\n"
    path = os.path.join(tmp, "cross.txt")
    with open(path, "w") as f:
        f.write(data)
    gloss("import", "--lang", "en", "--id", "cross", path)
    texts["cross"] = data
    create("tag", "cross", "--quote", "Jensen Huang", "--label", "PERSON")
    create("note", "cross", "--quote", "Huang NPR", "--text", "x")
    first = gloss("show", "cross").stdout.decode().split("\n")[0]
    want = "CEO [Jensen [Huang]{note}]{PERSON}[ NPR]{note} reported."
    check(first == want, "crossing marks: %r, wanted %r" % (first, want))


def find():
    r = gloss("find", G003, "ترامب")
    lines = r.stdout.decode().splitlines()
    want = occurrences(G003, "ترامب")
    check(r.returncode == 0 and len(lines) == len(want) == 7,
          "find lists every occurrence: %d" % len(lines))
    for i, (line, at) in enumerate(zip(lines, want)):
        cs, ce, _, _ = units(texts[G003], at, at + len("ترامب".encode()))
        m = re.match(r"^ *(\d+)  chars (\d+)-(\d+) +(.*)$", line)
        check(m and (int(m.group(1)), int(m.group(2)), int(m.group(3))) ==
              (i + 1, cs, ce), "find line %d: %r" % (i + 1, line))
        check(m and "[ترامب]" in m.group(4), "find context: %r" % line)
    # Numbered among the matches that fit the context, as --nth counts
    # with the same --prefix.
    rows = gloss_json("find", G001, "Huang", "--prefix", "NPR. ")
    check(len(rows) == 1 and rows[0].get("nth") == 1 and
          rows[0]["span"]["byteStart"] == occurrences(G001, "Huang")[1],
          "find --prefix narrows: %r" % rows)
    for row in gloss_json("find", G001, "Huang"):
        check_span(row["span"], G001, "find match %s" % row.get("nth"))
    r = gloss("find", "--all", "Jensen Huang")
    arts = [ln.split()[0] for ln in r.stdout.decode().splitlines()]
    check(sorted(arts) == sorted(a for a in texts
                                 if "Jensen Huang" in texts[a]),
          "find --all: one line per article: %r" % arts)
    rows = gloss_json("find", "--group", G000, "Huawei")
    check(sorted(x["articleId"] for x in rows) == [G000, G001, G003],
          "find --group: %r" % rows)
    r = gloss("find", "own", "\u00e9")
    check(r.returncode == 0 and len(r.stdout.decode().splitlines()) == 2,
          "find é: the precomposed one and e + U+0301, canonically "
          "equivalent (UAX #15)")


def labels():
    sets = {s["name"]: s for s in gloss_json("labels")}
    check(set(sets) == {"entity", "mqm_category", "mqm_severity", "verdict"},
          "labels: the four sets: %r" % list(sets))
    names = [x["name"] for x in sets.get("entity", {}).get("labels", [])]
    check(len(names) == 18 and "WORK_OF_ART" in names, "18 entity labels")
    r = gloss("labels", "add", "entity", "CHIP", "--description",
              "a chip model", "--as", "admin")
    check(r.returncode == 0, "labels add: %r" % r.stderr)
    r = gloss("labels", "entity")
    check(re.search(r"^  CHIP +a chip model \(added\)$", r.stdout.decode(),
                    re.M), "labels entity lists the new one")
    create("tag", G001, "--quote", "H20", "--nth", "1", "--label", "CHIP")


def snapshot():
    return {"all": gloss_json("annotations", "--deleted"),
            "labels": gloss_json("labels"),
            "find": gloss_json("find", "--all", "H20"),
            "show": gloss("show", G001).stdout}


def test_help():
    r = gloss("--help")
    for verb in ("tag", "correct", "flag", "note", "annotations", "edit",
                 "rm", "revert", "history", "find", "labels", "show"):
        check(("\n  " + verb + " ").encode() in r.stdout,
              "--help lists " + verb)
        h = gloss(verb, "--help")
        check(h.returncode == 0 and
              h.stdout.startswith(b"usage: gloss " + verb.encode()),
              verb + " --help")


def main():
    tmp = tempfile.mkdtemp(prefix="gloss-annotate-")
    os.environ["GLOSS_SOCKET"] = "ipc://" + tmp + "/data/glossd.sock"
    os.environ["GLOSS_USER"] = "annotate-test"
    seeds = os.path.isdir(SEEDS)
    proc, _ = start_glossd(tmp)
    try:
        own_text(tmp)
        own_rejections()
        life_cycle()
        show_nested(tmp)
        if seeds:
            import_seeds()
            tag_seed_entities()
            correct_and_flag()
            listings()
            show()
            find()
            labels()
        else:
            print("seeds folder %r is absent: the seed checks are skipped"
                  % SEEDS)
        test_help()
        before = snapshot()
        stop_glossd(proc)
        proc, _ = start_glossd(tmp)
        after = snapshot()
        for key in before:
            check(before[key] == after[key], "after a restart, %s is the "
                  "same" % key)
        check(len(before["all"]) > (60 if seeds else 30),
              "a restart keeps %d annotations" % len(before["all"]))
        for a in after["all"]:
            check_annotation(a, a.get("articleId"), "listed %s" % a.get("id"))
    finally:
        stop_glossd(proc)
        shutil.rmtree(tmp, ignore_errors=True)
    glosstest.finish(tmp)

if __name__ == "__main__":
    main()
