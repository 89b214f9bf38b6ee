#!/usr/bin/python3
"""Finding the text (issue 13): quotes typed as an annotator types them,
against a real glossd over its socket, through client/python and the
gloss CLI.  Canonically equivalent text (NFC, NFD) always matches; loose
quotes (Quote.loose, SearchText.loose, --loose) also match across case,
hamza, tashkeel, tatweel, accents, apostrophe shapes and spacing; a miss
lists the candidates with how each differs, and the CLI prints the
command that uses one.  Every span is checked against Python's own UTF-8,
code point and UTF-16 arithmetic, and never splits a grapheme.

Run by ctest with /usr/bin/python3 (python3-protobuf) and
PYTHONPATH=client/python:tests.
"""
import json
import os
import shlex
import shutil
import sys
import tempfile
import unicodedata

import glosstest as gt
from glosstest import check
import gloss_client
from gloss_client import Client, GlossError

g = gloss_client.load_proto(os.environ["GLOSS_PROTO"])

# Our own texts: NFD Portuguese, emoji, Arabic with tashkeel and tatweel.
OWN = {
    "own-nfd": ("pt", unicodedata.normalize(
        "NFD", "Um café em São Paulo; o CAFÉ fechou.")),
    "own-emoji": ("en", "Great 👍🏽 news for 👨\u200d👩\u200d👧 fans: "
                        "Nvidia’s H20 🇨🇳 sales – again.\r\n  Done."),
    "own-ar": ("ar", "قالَ الرئيسُ إنّ الكتـــاب على الطاولة في المدينة."),
}

# Loose quotes as typed, and the text each must land on (its nth among
# loose matches, and what Python finds).
LOOSE = [
    (gt.G003, "البيت الابيض", 0, "البيت الأبيض"),
    (gt.G003, "اويغور", 0, "أويغور"),
    (gt.G003, "غالبا", 0, "غالباً"),
    (gt.G001, "jensen huang", 0, "Jensen Huang"),
    (gt.G001, "China's", 0, "China’s"),
    (gt.G001, "\"Over the past", 0, "“Over the past"),
    (gt.G000, "bilhoes", 2, "bilhões"),
    (gt.G004, "leses", 0, "lèses"),
    ("own-nfd", "cafe", 2, unicodedata.normalize("NFD", "CAFÉ")),
    ("own-nfd", "sao paulo", 0, unicodedata.normalize("NFD", "São Paulo")),
    ("own-emoji", "nvidia's h20", 0, "Nvidia’s H20"),
    ("own-emoji", "👍🏽 NEWS", 0, "👍🏽 news"),
    ("own-emoji", "again. done", 0, "again.\r\n  Done"),
    ("own-emoji", "sales - again", 0, "sales – again"),
    ("own-ar", "قال الرئيس ان الكتاب", 0, "قالَ الرئيسُ إنّ الكتـــاب"),
    ("own-ar", "علي الطاوله", 0, "على الطاولة"),
]

# Misses of the default mode: the candidate first listed, and a
# difference it must name.
MISSES = [
    (gt.G003, "البيت الابيض", "البيت الأبيض", "hamza"),
    (gt.G003, "اويغور", "أويغور", "hamza"),
    (gt.G003, "غالبا", "غالباً", "diacritics"),
    (gt.G001, "jensen huang", "Jensen Huang", "case"),
    (gt.G001, "China's", "China’s", "apostrophe"),
    (gt.G001, "Jensen Haung", "Jensen Huang", "spelling"),
    ("own-nfd", "Sao Paulo", unicodedata.normalize("NFD", "São Paulo"),
     "accents"),
]

EXTEND = {"Mn", "Me", "Mc", "Sk"}


def seed_text(stem):
    with open(os.path.join(gt.SEEDS, stem + ".txt"), encoding="utf-8") as f:
        return f.read()


def on_boundary(text, k):
    """No mark, ZWJ, skin tone or second half of a flag at k; not
    between CR and LF."""
    if k <= 0 or k >= len(text):
        return True
    c, p = text[k], text[k - 1]
    flag = 0x1F1E6 <= ord(c) <= 0x1F1FF and 0x1F1E6 <= ord(p) <= 0x1F1FF
    return unicodedata.category(c) not in EXTEND and c != "\u200d" and \
        p != "\u200d" and not 0x1F3FB <= ord(c) <= 0x1F3FF and \
        not (p == "\r" and c == "\n") and not flag


def span_ok(text, s, exact, start):
    """s is exact at char start, in all three units, on grapheme
    boundaries."""
    b, u = text.encode(), text.encode("utf-16-le")
    return s.exact == exact and s.char_start == start and \
        s.char_end == start + len(exact) and \
        s.byte_start == len(text[:start].encode()) and \
        b[s.byte_start:s.byte_end].decode() == exact and \
        s.utf16_start == len(text[:start].encode("utf-16-le")) // 2 and \
        u[2 * s.utf16_start:2 * s.utf16_end].decode("utf-16-le") == exact \
        and on_boundary(text, s.char_start) and on_boundary(text, s.char_end)


def nth_start(text, exact, nth):
    """Where the nth loose match is: the nth of exact, or its only one
    (when the other loose matches differ from it)."""
    starts = [k for k in range(len(text)) if text.startswith(exact, k)]
    return starts[0] if len(starts) == 1 else starts[max(nth, 1) - 1]


def create(c, texts):
    for stem, lang, orig in gt.SEED_FILES:
        texts[stem] = seed_text(stem)
    for aid, (lang, text) in OWN.items():
        texts[aid] = text
    for aid, text in texts.items():
        lang = OWN[aid][0] if aid in OWN else \
            [s[1] for s in gt.SEED_FILES if s[0] == aid][0]
        c.call("create_article", article={"id": aid, "language": lang,
                                          "text": text})


def tag(c, aid, quote, nth, loose):
    return c.call("create_annotation", annotation={
        "article_id": aid, "entity": {"label": "PERSON"},
        "select": [{"quote": {"exact": quote, "nth": nth,
                              "loose": loose}}]}).annotation


def test_loose(c, texts):
    for aid, quote, nth, want in LOOSE:
        text = texts[aid]
        try:
            s = tag(c, aid, quote, nth, True).spans[0]
            check(span_ok(text, s, want, nth_start(text, want, nth)),
                  "loose %r in %s: %r at %d-%d, want %r at %d"
                  % (quote, aid, s.exact, s.char_start, s.char_end, want,
                     nth_start(text, want, nth)))
        except GlossError as e:
            check(False, "loose %r in %s refused: %s" % (quote, aid, e))
        r = c.call("search_text", text=quote, article_id=aid, loose=True)
        check(any(span_ok(text, m.span, want, nth_start(text, want, nth))
                  for m in r.matches),
              "SearchText loose %r: %r" % (quote,
                                           [m.span.exact for m in r.matches]))


def test_canonical(c, texts):
    """NFC quotes match NFD text by default, and land on its bytes."""
    text = texts["own-nfd"]
    want = unicodedata.normalize("NFD", "São Paulo")
    s = tag(c, "own-nfd", "São Paulo", 0, False).spans[0]
    check(span_ok(text, s, want, text.index(want)),
          "NFC quote on NFD text: %r" % s.exact)
    r = c.call("search_text", text="café", article_id="own-nfd")
    check(len(r.matches) == 1 and r.matches[0].span.char_start == 3,
          "SearchText NFC on NFD: %d" % len(r.matches))
    for quote in ("e", "Sa", "👍"):  # never half a letter or an emoji
        aid = "own-emoji" if quote == "👍" else "own-nfd"
        r = c.call("search_text", text=quote, article_id=aid, loose=True)
        check(all(on_boundary(texts[aid], m.span.char_start) and
                  on_boundary(texts[aid], m.span.char_end)
                  for m in r.matches), "%r splits nothing" % quote)
    r = c.call("search_text", text="👍", article_id="own-emoji", loose=True)
    check(len(r.matches) == 0, "👍 is not 👍🏽 (%d)" % len(r.matches))


def test_misses(c, texts):
    for aid, quote, want, why in MISSES:
        text = texts[aid]
        try:
            tag(c, aid, quote, 0, False)
            check(False, "default mode took %r" % quote)
            continue
        except GlossError as e:
            cands = e.status.quote.candidates
            check(e.reason == "QUOTE_NOT_FOUND" and len(cands) > 0 and
                  span_ok(text, cands[0].span, want, text.index(want)) and
                  why in cands[0].differences,
                  "miss %r: %s %r" % (quote, e.reason,
                                      [(m.span.exact, list(m.differences))
                                       for m in cands]))
        r = c.call("search_text", text=quote, article_id=aid)
        check(len(r.matches) == 0 and len(r.candidates) > 0 and
              r.candidates[0].span.exact == want and
              why in r.candidates[0].differences,
              "SearchText miss %r: %r" % (quote, [
                  (m.span.exact, list(m.differences)) for m in r.candidates]))


def test_cli(sock, texts):
    """The CLI prints the candidates with the command to run, which
    works as printed."""
    aid, quote, want = gt.G003, "البيت الابيض", "البيت الأبيض"
    r = gt.gloss("tag", aid, "--quote", quote, "--label", "ORG", sock=sock)
    err = r.stderr.decode()
    check(r.returncode == 3 and "differs in hamza" in err,
          "CLI miss: %d %s" % (r.returncode, err))
    cmd = [line.strip() for line in err.splitlines()
           if line.strip().startswith("gloss tag")]
    if check(len(cmd) > 0, "a command in: " + err):
        args = shlex.split(cmd[0])[1:]
        check(args[:3] == ["tag", aid, "--quote"] and args[3] == want,
              "the command: %r" % cmd[0])
        args = [a for a in args if a not in ("--label", "...")]
        r = gt.gloss(*args, "--label", "ORG", "--json", sock=sock)
        ok = r.returncode == 0
        s = json.loads(r.stdout)["spans"][0] if ok else {}
        check(ok and s.get("charStart") == texts[aid].index(want),
              "the printed command works: %s %s" % (r.stderr, s))
    r = gt.gloss("tag", aid, "--quote", "اويغور", "--loose", "--label",
                 "NORP", "--json", sock=sock)
    check(r.returncode == 0 and json.loads(r.stdout)["spans"][0]["exact"]
          == "أويغور", "tag --loose: %s" % r.stderr)
    r = gt.gloss("find", gt.G001, "China's", sock=sock)
    check(r.returncode == 0 and "differs in apostrophe" in r.stderr.decode()
          and "--quote 'China’s'" in r.stderr.decode(),
          "find miss: %s" % r.stderr.decode())
    r = gt.gloss("find", gt.G001, "China's", "--loose", sock=sock)
    check(r.returncode == 0 and "[China’s]" in r.stdout.decode(),
          "find --loose: %s" % r.stdout.decode())
    r = gt.gloss("find", gt.G001, "China's", "--json", sock=sock)
    lines = [json.loads(x) for x in r.stdout.decode().splitlines()]
    check(r.returncode == 0 and len(lines) == 1 and
          lines[0]["candidate"]["span"]["exact"] == "China’s" and
          lines[0]["candidate"]["differences"] == ["apostrophe"],
          "find --json miss: %r" % lines)
    # --loose is for every quote of the command: the evidence's too.
    r = gt.gloss("correct", gt.G001, "--quote", "CHINA'S", "--loose",
                 "--verdict", "supported", "--evidence",
                 gt.G003 + ":البيت الابيض", "--json", sock=sock)
    ev = json.loads(r.stdout).get("factCorrection", {}).get("evidence", [{}]) \
        if r.returncode == 0 else [{}]
    check(r.returncode == 0 and
          ev[0].get("span", {}).get("exact") == "البيت الأبيض",
          "correct --loose: evidence %s %r" % (r.stderr, ev))
    # edit moves an annotation to a loosely quoted span.
    r = gt.gloss("tag", gt.G001, "--quote", "Jensen Huang", "--label",
                 "PERSON", "--json", sock=sock)
    aid = json.loads(r.stdout)["id"] if r.returncode == 0 else "0"
    r = gt.gloss("edit", aid, "--quote", "COUNTRY'S", "--nth", "2",
                 "--loose", "--json", sock=sock)
    text = texts[gt.G001]
    want = [k for k in range(len(text)) if text.startswith("country’s", k)]
    s = json.loads(r.stdout)["spans"][0] if r.returncode == 0 else {}
    check(r.returncode == 0 and s.get("exact") == "country’s"
          and len(want) == 2 and s.get("charStart") == want[1],
          "edit --loose: %s %s %r" % (r.stderr, s, want))


def main():
    tmp = tempfile.mkdtemp(prefix="gloss-quote-")
    proc, sock = gt.start_glossd(tmp)
    texts = {}
    try:
        with Client(sock, author="quote", timeout=30) as c:
            create(c, texts)
            test_loose(c, texts)
            test_canonical(c, texts)
            test_misses(c, texts)
        test_cli(sock, texts)
    finally:
        gt.stop_glossd(proc)
        if gt.failures:
            sys.stderr.write(open(os.path.join(tmp, "data.log")).read()
                             [-3000:])
        shutil.rmtree(tmp, True)
    gt.finish(tmp)


if __name__ == "__main__":
    main()
