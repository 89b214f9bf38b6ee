#!/usr/bin/env python3
"""Integration test of Export and ImportRecords against a real glossd.

Imports the seed corpus and a text of our own (emoji with skin tones, ZWJ
sequences, flags, combining marks, Arabic, CRLF), annotates them through the
raw protocol (protoc --encode + nngcat, no code of ours on the client side),
then exports every format with `gloss export` and reads each file back with
an independent reader: Python's str slicing for code points, json for W3C
JSON-LD and spaCy, brat's rule that a T line's text is the slice of ID.txt,
the CoNLL tokens found in order in the text, the MQM <v> spans.  Also: the
jsonl round trip is byte-identical, the loss report counts what each format
could not carry, and an export whose pages straddle writes reflects exactly
its snapshot.  Python's standard library only.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import unicodedata

import glosstest
from glosstest import SEEDS, check, gloss, start_glossd, stop_glossd
PROTO = os.environ["GLOSS_PROTO"]

from glosstest import SEED_FILES, import_seed
from glosstest import G000 as ORIG, G001 as EN, G003 as AR, G004 as FR

# Our own texts, for what the seeds lack: astral characters, skin tones,
# ZWJ families, flags, combining marks, CRLF; a translation pair of them.
OWN_SRC = ("Olá 👍🏽 mundo! A família 👨\u200d👩\u200d👧 viajou de 🇵🇹 ao 🇧🇷.\r\n"
           "O cafe\u0301 da Ana custou 5 €. العربية هنا.\n")
OWN_TR = ("Hello 👍🏽 world! The family 👨\u200d👩\u200d👧 travelled from 🇵🇹 to 🇧🇷.\r\n"
          "Ana's cafe\u0301 cost 5 €. Arabic here.\n")



# ------------------------------------------------------------ raw protocol

def pb_string(s):
    """A protobuf text-format string literal (octal escapes for bytes)."""
    out = []
    for b in s.encode("utf-8"):
        if b in (0x22, 0x5c):
            out.append("\\" + chr(b))
        elif 0x20 <= b < 0x7f:
            out.append(chr(b))
        else:
            out.append("\\%03o" % b)
    return '"' + "".join(out) + '"'


def c_unescape(s):
    """Bytes of a C-escaped string as protoc --decode prints them."""
    out = bytearray()
    i = 0
    simple = {"n": 10, "r": 13, "t": 9, '"': 34, "'": 39, "\\": 92,
              "a": 7, "b": 8, "f": 12, "v": 11, "?": 63}
    while i < len(s):
        c = s[i]
        if c != "\\":
            out += c.encode("utf-8")
            i += 1
            continue
        n = s[i + 1]
        if n in simple:
            out.append(simple[n])
            i += 2
        elif n == "x":
            m = re.match(r"[0-9a-fA-F]{1,2}", s[i + 2:])
            out.append(int(m.group(0), 16))
            i += 2 + len(m.group(0))
        else:
            m = re.match(r"[0-7]{1,3}", s[i + 1:])
            out.append(int(m.group(0), 8))
            i += 1 + len(m.group(0))
    return bytes(out)


class Raw:
    def __init__(self, tmp, url):
        self.tmp = tmp
        self.url = url

    def call(self, text):
        enc = subprocess.run(
            ["protoc", "--encode=gloss.v1.Request", "-I" + PROTO,
             "gloss/v1/gloss.proto"], input=text.encode(),
            capture_output=True, timeout=30)
        if enc.returncode != 0:
            raise SystemExit("protoc --encode: %s\n%s" % (enc.stderr, text))
        req = os.path.join(self.tmp, "req.bin")
        with open(req, "wb") as f:
            f.write(enc.stdout)
        rep = subprocess.run(["nngcat", "--req0", "--dial", self.url,
                              "--file", req, "--raw", "--recv-timeout",
                              "20"], capture_output=True, timeout=60)
        dec = subprocess.run(
            ["protoc", "--decode=gloss.v1.Reply", "-I" + PROTO,
             "gloss/v1/gloss.proto"], input=rep.stdout,
            capture_output=True, timeout=30)
        return dec.stdout.decode("utf-8", "replace")


def status_of(reply):
    m = re.search(r"code: (\w+)", reply)
    return m.group(1) if m else "OK"


def sel_quote(exact, nth=0):
    return "select { quote { exact: %s nth: %d } }" % (pb_string(exact), nth)


class Corpus:
    """What the test created, to check exports against."""

    def __init__(self, raw):
        self.raw = raw
        self.texts = {}   # article id -> str
        self.ann = {}     # id -> dict(kind, article, spans[(cs, ce)], ...)

    def create(self, article, selects, body, author="ana", kind="entity",
               label=""):
        r = self.raw.call('request_id: "%s" author: "%s" create_annotation '
                          '{ annotation { article_id: "%s" %s %s } }'
                          % (os.urandom(8).hex(), author, article,
                             " ".join(selects), body))
        if not check(status_of(r) == "OK", "create on %s: %s" % (article, r)):
            return None
        aid = int(re.search(r"\n    id: (\d+)", r).group(1))
        head = re.split(r"\n    (?:entity|fact_correction|translation_note|"
                        r"note) \{", r)[0]
        spans = []
        for blk in re.findall(r"\n    spans \{(.*?)\n    \}", head, re.S):
            cs = re.search(r"char_start: (\d+)", blk)
            ce = re.search(r"char_end: (\d+)", blk)
            spans.append((int(cs.group(1)) if cs else 0, int(ce.group(1))))
        etag = re.search(r'etag: "([^"]+)"', r).group(1)
        self.ann[aid] = dict(kind=kind, article=article, spans=spans,
                             label=label, etag=etag, state="active",
                             author=author)
        return aid

    def entity(self, article, exact, label, nth=0, kb=""):
        body = "entity { label: \"%s\" %s }" % (
            label, 'kb_id: "%s"' % kb if kb else "")
        aid = self.create(article, [sel_quote(exact, nth)], body,
                          label=label)
        if aid:
            self.ann[aid]["kb"] = kb
        return aid


# ------------------------------------------------------------ setup

def import_texts(tmp, corpus):
    have_seeds = os.path.isdir(SEEDS)
    if not have_seeds:
        print("seeds folder %s is absent: seed checks skipped" % SEEDS)
    for stem, lang, orig in SEED_FILES if have_seeds else []:
        corpus.texts[stem] = import_seed(stem, lang, orig)[1].decode()
    for name, text, args in (("own-src", OWN_SRC, []),
                             ("own-tr", OWN_TR,
                              ["--translation-of", "own-src"])):
        path = os.path.join(tmp, name + ".txt")
        with open(path, "wb") as f:
            f.write(text.encode())
        lang = "pt" if name == "own-src" else "en"
        r = gloss("import", "--lang", lang, "--id", name, *args,
                  "--meta", "system=test-mt", path)
        check(r.returncode == 0, "import %s: %s" % (name, r.stderr))
        corpus.texts[name] = text
    return have_seeds


def annotate(c, seeds):
    """A bit of every kind, with overlaps, discontinuous spans, spans over
    line breaks, boundaries inside tokens, astral characters."""
    e = c.entity
    e("own-src", "👍🏽", "PRODUCT")
    e("own-src", "👨\u200d👩\u200d👧", "NORP")
    e("own-src", "🇵🇹", "GPE", kb="Q45")
    e("own-src", "🇧🇷", "GPE", kb="Q155")
    e("own-src", "cafe\u0301", "PRODUCT")
    e("own-src", "Ana", "PERSON")
    e("own-src", "العربية", "LANGUAGE", kb="Q13955")
    e("own-tr", "Ana's cafe\u0301", "PRODUCT")       # overlaps the next
    e("own-tr", "Ana", "PERSON")
    e("own-tr", "family 👨\u200d👩\u200d👧", "NORP")
    c.create("own-tr", [sel_quote("travelled")],
             'translation_note { category: "fluency/spelling" severity: '
             '"minor" suggestion: "traveled" comment: %s '
             'source_select { quote { exact: "viajou" } } }'
             % pb_string("US spelling\tplease"),
             author="rev", kind="translation", label="fluency/spelling")
    c.create("own-tr", [sel_quote("world"), sel_quote("🇧🇷")],
             'translation_note { category: "accuracy/mistranslation" '
             'severity: "major" source_select { quote { exact: "mundo" } } }',
             author="rev", kind="translation",
             label="accuracy/mistranslation")
    c.create("own-src", [sel_quote("Olá 👍🏽 mundo! A")],
             'note { text: %s }' % pb_string("greeting\nwith a line break"),
             kind="note")
    if not seeds:
        return
    e(ORIG, "CEO Jensen Huang", "PERSON")
    e(ORIG, "Jensen Huang", "PERSON", kb="Q305177")      # overlap loss
    e(ORIG, "NVIDIA", "ORG", nth=1, kb="Q182477")
    e(ORIG, "Mar-A-Lago", "FAC", nth=1)
    e(ORIG, "China", "GPE", nth=1, kb="Q148")
    c.create(ORIG, [sel_quote("o presidente Trump.\nA Casa Branca")],
             'note { text: "spans a line break" }', kind="note")
    e(EN, "Deepsek R1", "PRODUCT")                       # boundary loss
    e(EN, "Jensen Huang", "PERSON", kb="Q305177")
    e(EN, "NVIDIA", "ORG", nth=1, kb="Q182477")
    c.create(EN, [sel_quote("double"), sel_quote("sword")],
             'entity { label: "PRODUCT" }', label="PRODUCT")
    c.create(EN, [sel_quote("$ 18 billion")],
             'fact_correction { corrected: "$ 16 billion" verdict: '
             '"refuted" comment: "the original says 16" evidence { '
             'article_id: "%s" select { quote { exact: "US $ 16 bilhões" '
             'nth: 1 } } } evidence { url: "https://example.org/npr" '
             'quote: "16 billion" } }' % ORIG, kind="correction",
             label="refuted")
    c.create(EN, [sel_quote("$ 18 billion")],
             'translation_note { category: "accuracy/mistranslation" '
             'severity: "major" source_select { quote { exact: '
             '"US $ 16 bilhões" nth: 1 } } }', author="rev",
             kind="translation", label="accuracy/mistranslation")
    c.create(EN, [sel_quote("Ouigor")],
             'translation_note { category: "fluency/spelling" severity: '
             '"minor" suggestion: "Uyghur" source_select { quote { exact: '
             '"uigur" } } }', author="rev", kind="translation",
             label="fluency/spelling")
    c.create(EN, [sel_quote("double -limited sword")],
             'translation_note { category: "accuracy/mistranslation" '
             'severity: "major" suggestion: "double-edged sword" '
             'source_select { quote { exact: "faca de dois gumes" } } }',
             author="rev", kind="translation",
             label="accuracy/mistranslation")
    e(AR, "ترامب", "PERSON", nth=1, kb="Q22686")
    c.create(AR, [sel_quote("هوانغ", 1)], 'note { text: "Huang" }',
             kind="note")
    e(FR, "lèses", "PRODUCT")


def revise(c):
    """An update (new revision) and a delete (tombstone)."""
    by_label = [a for a, v in c.ann.items() if v["label"] == "PERSON"]
    aid = by_label[0]
    v = c.ann[aid]
    r = c.raw.call('request_id: "%s" author: "bob" update_annotation { '
                   'annotation { id: %d etag: "%s" entity { label: "ORG" } '
                   '} }' % (os.urandom(8).hex(), aid, v["etag"]))
    check(status_of(r) == "OK", "update: %s" % r)
    v["label"] = "ORG"
    gone = [a for a, v in c.ann.items() if v["label"] == "PRODUCT"][0]
    r = c.raw.call('request_id: "%s" author: "bob" delete_annotation { '
                   'id: %d }' % (os.urandom(8).hex(), gone))
    check(status_of(r) == "OK", "delete: %s" % r)
    c.ann[gone]["state"] = "deleted"


def active(c, kinds=None):
    return {a: v for a, v in c.ann.items() if v["state"] == "active" and
            (kinds is None or v["kind"] in kinds)}


def export(tmp, fmt, *args, sock=None):
    out = os.path.join(tmp, "out." + fmt)
    rep = os.path.join(tmp, "loss." + fmt)
    if os.path.isdir(out):
        shutil.rmtree(out)
    r = gloss("export", "--format", fmt, "--out", out, "--report", rep,
              *args, sock=sock)
    check(r.returncode == 0, "export %s: %s" % (fmt, r.stderr))
    check(re.search(r"as of change \d+", r.stdout.decode()) is not None,
          "export %s says the seq it reflects: %r" % (fmt, r.stdout))
    with open(rep) as f:
        losses = [json.loads(x) for x in f]
    return out, losses


def loss_counts(losses):
    n = {}
    for x in losses:
        n[x["reason"]] = n.get(x["reason"], 0) + 1
    return n


# ------------------------------------------------------------ formats

def test_jsonl(tmp, c):
    out, losses = export(tmp, "jsonl")
    check(losses == [], "jsonl loses nothing: %r" % losses[:3])
    recs = [json.loads(x) for x in open(out, encoding="utf-8")]
    check("header" in recs[0] and recs[0]["header"]["complete"],
          "jsonl starts with a complete header")
    sets = [r["labelSet"]["name"] for r in recs if "labelSet" in r]
    check(sets == ["entity", "mqm_category", "mqm_severity", "verdict"],
          "jsonl label sets: %r" % sets)
    arts = {r["article"]["id"]: r["article"] for r in recs if "article" in r}
    for aid, text in c.texts.items():
        check(arts.get(aid, {}).get("text") == text,
              "jsonl article %s text byte for byte" % aid)
    revs = [r["annotation"] for r in recs if "annotation" in r]
    for a in revs:
        text = arts[a["articleId"]]["text"]
        raw = text.encode()
        for sp in a["spans"]:
            check(text[sp.get("charStart", 0):sp["charEnd"]] == sp["exact"]
                  and raw[sp.get("byteStart", 0):sp["byteEnd"]].decode() ==
                  sp["exact"], "jsonl span of %s: %r" % (a["id"], sp))
    ids = {int(a["id"]) for a in revs}
    check(ids == set(c.ann), "jsonl has every annotation, deleted too")
    check(len(revs) == len(c.ann) + 2, "jsonl has every revision: %d vs %d"
          % (len(revs), len(c.ann) + 2))
    seqs = [int(r["change"]["seq"]) for r in recs if "change" in r]
    check(seqs == list(range(1, len(seqs) + 1)) and
          seqs[-1] == int(recs[0]["header"]["asOfSeq"]),
          "jsonl carries the change feed 1..as_of")
    return out


def test_round_trip(tmp, first):
    proc, sock = start_glossd(tmp, "data-import")
    try:
        r = gloss("import", "--format", "jsonl", first, sock=sock)
        check(r.returncode == 0, "import jsonl: %s" % r.stderr)
        out = os.path.join(tmp, "again.jsonl")
        r = gloss("export", "--format", "jsonl", "--out", out, sock=sock)
        check(r.returncode == 0, "export again: %s" % r.stderr)
        check(open(first, "rb").read() == open(out, "rb").read(),
              "import then export is byte-identical")
        r = gloss("import", "--format", "jsonl", first, sock=sock)
        check(r.returncode == 5 and b"FAILED_PRECONDITION" in r.stderr and
              b"not empty" in r.stderr,
              "a second import is refused: %r" % r.stderr)
        for fmt in ("w3c", "brat", "conll", "mqm", "spacy"):
            a = os.path.join(tmp, "out." + fmt)
            b = os.path.join(tmp, "again." + fmt)
            r = gloss("export", "--format", fmt, "--out", b, sock=sock)
            check(r.returncode == 0 and same_output(a, b),
                  "%s of the imported folder is the same" % fmt)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    proc, sock = start_glossd(tmp, "data-filtered")
    try:
        part = os.path.join(tmp, "part.jsonl")
        r = gloss("export", "--format", "jsonl", "--out", part,
                  "--article", "own-src")
        r = gloss("import", "--format", "jsonl", part, sock=sock)
        check(r.returncode == 5 and b"filtered" in r.stderr,
              "a filtered export is not imported: %r" % r.stderr)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    lines = open(first, "rb").read().split(b"\n")
    for name, body, want, code in (
            ("truncated", b"\n".join(lines[:len(lines) // 2]) + b"\n",
             b"ended before its last change", 1),
            ("damaged", b"\n".join(lines[:7] + [lines[7][:-9]] + lines[8:]),
             b"line 8: ", 3),
            ("headless", b"\n".join(lines[5:]), b"line 1: the file must "
             b"begin with the header", 3)):
        proc, sock = start_glossd(tmp, "data-" + name)
        try:
            path = os.path.join(tmp, name + ".jsonl")
            with open(path, "wb") as f:
                f.write(body)
            r = gloss("import", "--format", "jsonl", path, sock=sock)
            check(r.returncode == code and want in r.stderr,
                  "import of a %s file: %r" % (name, r.stderr))
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)


def same_output(a, b):
    if os.path.isdir(a):
        return sorted(os.listdir(a)) == sorted(os.listdir(b)) and all(
            open(os.path.join(a, n), "rb").read() ==
            open(os.path.join(b, n), "rb").read() for n in os.listdir(a))
    return open(a, "rb").read() == open(b, "rb").read()


def targets(t):
    return t if isinstance(t, list) else [t]


def test_w3c(tmp, c):
    out, losses = export(tmp, "w3c")
    lines = open(out, encoding="utf-8").read().splitlines()
    want = active(c)
    check(len(lines) == len(want), "w3c: one line per active annotation "
          "(%d vs %d)" % (len(lines), len(want)))
    motivations = {"entity": ("classifying", "identifying"),
                   "correction": ("editing",), "translation": ("assessing",),
                   "note": ("commenting",)}
    for line in lines:
        a = json.loads(line)
        aid = int(a["id"].rsplit(":", 1)[1])
        v = want.get(aid)
        if not check(v is not None, "w3c %s is an active annotation" % aid):
            continue
        check(a["@context"] == "http://www.w3.org/ns/anno.jsonld" and
              a["type"] == "Annotation", "w3c context and type")
        mot = a["motivation"] if isinstance(a["motivation"], list) else \
            [a["motivation"]]
        check(all(m in motivations[v["kind"]] for m in mot),
              "w3c motivation of a %s: %r" % (v["kind"], mot))
        check(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z",
                           a["created"]) is not None, "w3c created")
        check(a["creator"]["nickname"] == v["author"], "w3c creator")
        ts = targets(a["target"])
        check(len(ts) == len(v["spans"]), "w3c targets of %d" % aid)
        for t, (cs, ce) in zip(ts, v["spans"]):
            text = c.texts[t["source"].rsplit(":", 1)[1]]
            q, p = t["selector"]
            check(p["type"] == "TextPositionSelector" and
                  (p["start"], p["end"]) == (cs, ce),
                  "w3c position of %d" % aid)
            check(text[p["start"]:p["end"]] == q["exact"] and
                  text[:p["start"]].endswith(q["prefix"]) and
                  text[p["end"]:].startswith(q["suffix"]),
                  "w3c quote of %d selects its text" % aid)
        bodies = json.dumps(a["body"])
        if v.get("kb"):
            check("http://www.wikidata.org/entity/" + v["kb"] in bodies,
                  "w3c Wikidata IRI of %d" % aid)
        if v["kind"] == "translation":
            cat = v["label"].split("/")
            check("/".join(x.capitalize() for x in cat) in bodies,
                  "w3c MQM category of %d" % aid)
    n = sum(1 for v in want.values() if len(v["spans"]) > 1)
    check(loss_counts(losses) == ({"discontinuous": n} if n else {}),
          "w3c losses: %r" % loss_counts(losses))


def test_brat(tmp, c):
    slash = os.path.join(tmp, "brat-folder") + "/"
    r = gloss("export", "--format", "brat", "--out", slash)
    check(r.returncode == 0 and os.path.isfile(slash + "annotation.conf"),
          "brat --out FOLDER/ makes FOLDER: %s" % r.stderr)
    out, losses = export(tmp, "brat")
    names = set(os.listdir(out))
    check({"annotation.conf", "tools.conf"} <= names, "brat conf files")
    conf = open(os.path.join(out, "annotation.conf")).read()
    for aid, text in c.texts.items():
        check(open(os.path.join(out, aid + ".txt"), "rb").read() ==
              text.encode(), "brat %s.txt is the text" % aid)
        check(os.path.exists(os.path.join(out, aid + ".ann")),
              "brat %s.ann" % aid)
    seen = set()
    for name in names:
        if not name.endswith(".ann"):
            continue
        doc = name[:-4]
        with open(os.path.join(out, doc + ".txt"), "rb") as f:
            text = f.read().decode("utf-8")  # no newline translation
        ts = set()
        for line in open(os.path.join(out, name), encoding="utf-8",
                         newline="\n").read().split("\n"):
            if not line:
                continue
            if line.startswith("T"):
                tid, mid, body = line.split("\t")
                typ, offs = mid.split(" ", 1)
                frags = [tuple(map(int, f.split())) for f in offs.split(";")]
                check(body == " ".join(text[s:e] for s, e in frags),
                      "brat %s %s: text is the slice: %r" % (doc, tid, body))
                check(typ in conf.split(), "brat type %s in conf" % typ)
                ts.add(tid)
                aid = int(tid[1:])
                seen.add(aid)
                v = c.ann.get(aid, {})
                whole = "".join(text[s:e] for s, e in frags)
                want = "".join(c.texts[doc][s:e] for s, e in v["spans"])
                check(whole == want.replace("\n", "").replace("\r", ""),
                      "brat %s covers the annotation's spans" % tid)
            elif line[0] in "NA#":
                ref = line.split("\t")[1].split(" ")[1]
                check(ref in ts, "brat %s refers to a T line" % line[:8])
            else:
                check(False, "brat: unexpected line %r" % line)
    check(seen == set(active(c)), "brat has every active annotation")


def conll_docs(path):
    docs, cur, sent = [], None, []
    for line in open(path, encoding="utf-8").read().split("\n"):
        if line == "-DOCSTART- -X- -X- O":
            cur = []
            docs.append(cur)
        elif line == "":
            if sent:
                cur.append(sent)
            sent = []
        else:
            word, pos, chunk, tag = line.split(" ")
            check(pos == "_" and chunk == "_", "conll columns 2-3 are _")
            sent.append((word, tag))
    return docs


def test_conll(tmp, c):
    out, losses = export(tmp, "conll")
    docs = conll_docs(out)
    ids = sorted(c.texts)
    check(len(docs) == len(ids), "conll: one -DOCSTART- per article")
    lost = {x["annotationId"]: x["reason"] for x in losses}
    for aid, sents in zip(ids, docs):
        text, at, ents, open_ent = c.texts[aid], 0, [], None
        for sent in sents:
            check(sent[0][1][:2] != "I-", "conll: no sentence starts "
                  "inside an entity")
            for word, tag in sent:
                pos = text.find(word, at)
                check(pos >= 0 and all(
                    ch.isspace() or unicodedata.category(ch) == "Cf"
                    for ch in text[at:pos]),
                    "conll %s: token %r follows in the text" % (aid, word))
                at = pos + len(word)
                if tag.startswith("B-"):
                    open_ent = [pos, at, tag[2:]]
                    ents.append(open_ent)
                elif tag.startswith("I-"):
                    check(open_ent and open_ent[2] == tag[2:],
                          "conll I- follows B- of its type")
                    open_ent[1] = at
                else:
                    open_ent = None
        want = {}
        for k, v in active(c, ["entity"]).items():
            if v["article"] == aid and str(k) not in lost:
                want[k] = (v["spans"][0][0], v["spans"][0][1], v["label"])
        got = [tuple(e) for e in ents]
        wrong = [w for w in want.values() if w not in got]
        check(not wrong and len(got) == len(want) + sum(
            1 for k, r in lost.items() if r == "boundary" and
            c.ann[int(k)]["article"] == aid),
            "conll %s entities select their text: missing %r" % (aid, wrong))
    kinds = sum(1 for v in active(c).values() if v["kind"] != "entity")
    disc = sum(1 for v in active(c, ["entity"]).values()
               if len(v["spans"]) > 1)
    n = loss_counts(losses)
    check(n.get("kind", 0) == kinds and n.get("discontinuous", 0) == disc,
          "conll losses: %r (kinds %d, discontinuous %d)" % (n, kinds, disc))
    if os.path.isdir(SEEDS):
        check(n.get("overlap", 0) >= 2 and n.get("boundary", 0) == 1,
              "conll: overlap and boundary losses: %r" % n)
        check("R1The _ _ I-PRODUCT" in open(out, encoding="utf-8").read(),
              "conll: a boundary entity tags the whole token")


def test_spacy(tmp, c):
    out, losses = export(tmp, "spacy")
    lines = [json.loads(x) for x in open(out, encoding="utf-8")]
    check([x["meta"]["article_id"] for x in lines] == sorted(c.texts),
          "spacy: one line per article, in id order")
    lost = {int(x["annotationId"]) for x in losses}
    for x in lines:
        aid = x["meta"]["article_id"]
        check(x["text"] == c.texts[aid], "spacy text of %s" % aid)
        last = 0
        for s, e, label in x["entities"]:
            check(s >= last, "spacy entities do not overlap")
            last = e
        want = sorted((v["spans"][0][0], v["spans"][0][1], v["label"])
                      for k, v in active(c, ["entity"]).items()
                      if v["article"] == aid and k not in lost)
        check(sorted(map(tuple, x["entities"])) == want,
              "spacy %s entities: %r vs %r" % (aid, x["entities"], want))
    n = loss_counts(losses)
    kinds = sum(1 for v in active(c).values() if v["kind"] != "entity")
    check(n.get("kind", 0) == kinds, "spacy kind losses: %r" % n)


def test_mqm(tmp, c):
    out, losses = export(tmp, "mqm")
    rows = open(out, encoding="utf-8").read().split("\n")
    check(rows[0] == "system\tdoc\tdoc_id\tseg_id\trater\tsource\ttarget\t"
          "category\tseverity\tcomment", "mqm header verbatim")
    rows = [r.split("\t") for r in rows[1:] if r]
    notes = active(c, ["translation"])
    check(len(rows) == len(notes), "mqm: a row per translation note "
          "(%d vs %d)" % (len(rows), len(notes)))
    spans = {}
    for v in notes.values():
        t = c.texts[v["article"]]
        spans.setdefault(v["article"], []).append(
            [t[s:e] for s, e in v["spans"]])
    for r in rows:
        if not check(len(r) == 10, "mqm row of 10 columns: %r" % r):
            continue
        marked = re.findall(r"<v>(.*?)</v>", r[6])
        check(marked in spans.get(r[0], []) or
              any(marked in s for s in spans.values()),
              "mqm target marks the span: %r" % marked)
        plain = r[6].replace("<v>", "").replace("</v>", "")
        check(plain in c.texts.get(r[0], "").replace("\r\n", "  ")
              .replace("\n", " ") or r[0] == "test-mt",
              "mqm target is a segment of the text")
        check(r[7][0].isupper() and r[8] in ("Major", "Minor", "Neutral",
                                              "Critical"),
              "mqm category and severity as WMT: %r" % r[7:9])
        check(r[2].isdigit() and r[3].isdigit(), "mqm doc_id and seg_id")
    n = loss_counts(losses)
    check(n.get("kind", 0) == len(active(c)) - len(notes),
          "mqm kind losses: %r" % n)


def test_scopes(tmp, c):
    out, _ = export(tmp, "w3c", "--article", "own-tr")
    for line in open(out, encoding="utf-8"):
        src = targets(json.loads(line)["target"])[0]["source"]
        check(src.endswith(":own-tr"), "--article keeps to it: %s" % src)
    out, _ = export(tmp, "spacy", "--lang", "en")
    ids = [json.loads(x)["meta"]["article_id"] for x in open(out)]
    check(all(c.texts[i] is not None for i in ids) and "own-tr" in ids and
          "own-src" not in ids, "--lang en: %r" % ids)
    out, _ = export(tmp, "w3c", "--kind", "translation")
    check(sum(1 for _ in open(out)) == len(active(c, ["translation"])),
          "--kind translation")
    out, losses = export(tmp, "mqm", "--kind", "translation")
    check(losses == [] or all(x["reason"] == "discontinuous"
                              for x in losses), "mqm --kind loses no kind")
    r = gloss("export", "--help")
    check(r.returncode == 0 and r.stdout.startswith(b"usage: gloss export"),
          "export --help")
    r = gloss("export", "--format", "nope", "--out", "/dev/null")
    check(r.returncode == 3 and b"jsonl, w3c, brat" in r.stderr,
          "unknown format: %r" % r.stderr)
    r = gloss("export", "--format", "w3c", "--out", "/dev/null",
              "--article", "own-src", "--lang", "pt")
    check(r.returncode == 3 and b"at most one scope" in r.stderr,
          "two scopes: %r" % r.stderr)
    r = gloss("export", "--format", "w3c", "--out", "/dev/null",
              "--as-of", "999999")
    check(r.returncode == 3 and b"OUT_OF_RANGE" in r.stderr,
          "as-of past the end: %r" % r.stderr)
    full = os.path.join(tmp, "full")
    os.mkdir(full)
    open(os.path.join(full, "x"), "w").close()
    r = gloss("export", "--format", "brat", "--out", full)
    check(r.returncode == 1 and b"not empty" in r.stderr,
          "brat refuses a non-empty folder: %r" % r.stderr)


# ------------------------------------------------------------ snapshot

def raw_pages(raw, fmt, token, n, extra=""):
    """Up to n pages of a raw Export: (chunks, next token, as_of)."""
    chunks = []
    as_of = None
    for _ in range(n):
        r = raw.call('export { format: "%s" page_size: 1 page_bytes: 700 '
                     '%s page_token: "%s" }' % (fmt, extra, token))
        if not check(status_of(r) == "OK" and "as_of_seq" in r,
                     "export page: %r" % r[:300]):
            return chunks, "", as_of
        for blk in re.findall(r"\n  chunks \{\n(.*?)\n  \}", r, re.S):
            path = re.search(r'^\s+path: "(.*)"$', blk, re.M)
            data = re.search(r'^\s+data: "(.*)"$', blk, re.M)
            chunks.append((path.group(1) if path else "",
                           c_unescape(data.group(1)) if data else b""))
        m = re.search(r'next_page_token: "([^"]*)"', r)
        token = m.group(1) if m else ""
        as_of = int(re.search(r"as_of_seq: (\d+)", r).group(1))
        if not token:
            break
    return chunks, token, as_of


def join(chunks):
    files = {}
    for path, data in chunks:
        files[path] = files.get(path, b"") + data
    return files


def test_snapshot(tmp, c, raw, sock):
    before = {}
    for fmt in ("jsonl", "brat", "w3c"):
        out = os.path.join(tmp, "before." + fmt)
        r = gloss("export", "--format", fmt, "--out", out)
        check(r.returncode == 0, "export before: %s" % r.stderr)
        before[fmt] = out
    seq = int(re.search(r"as of change (\d+)", r.stdout.decode()).group(1))
    started = {}
    for fmt in ("jsonl", "brat", "w3c"):
        started[fmt] = raw_pages(raw, fmt, "", 3)
        check(started[fmt][1] != "", "%s has more pages" % fmt)
        check(started[fmt][2] == seq, "the first page is as of %d" % seq)
    # Writes while the exports are half done.
    some = sorted(active(c))
    c.entity("own-src", "mundo", "LOC")
    v = c.ann[some[0]]
    r = raw.call('request_id: "%s" author: "zed" update_annotation { '
                 'annotation { id: %d etag: "%s" note { text: "changed" } '
                 '} }' % (os.urandom(8).hex(), some[0], v["etag"]))
    check(status_of(r) == "OK", "update during export: %s" % r)
    r = raw.call('request_id: "%s" author: "zed" delete_annotation { '
                 'id: %d }' % (os.urandom(8).hex(), some[1]))
    check(status_of(r) == "OK", "delete during export: %s" % r)
    r = raw.call('request_id: "%s" author: "zed" create_article { article '
                 '{ id: "late" language: "en" text: "Late news." } }'
                 % os.urandom(8).hex())
    r = raw.call('request_id: "%s" author: "zed" delete_article { id: '
                 '"own-tr" }' % os.urandom(8).hex())
    check(status_of(r) == "OK", "delete article during export: %s" % r)
    for fmt in ("jsonl", "brat", "w3c"):
        chunks, token, _ = started[fmt]
        rest, token, as_of = raw_pages(raw, fmt, token, 100000)
        check(token == "" and as_of == seq,
              "%s: later pages are still as of %d" % (fmt, seq))
        got = join(chunks + rest)
        if fmt == "brat":
            want = {n: open(os.path.join(before[fmt], n), "rb").read()
                    for n in os.listdir(before[fmt])}
        else:
            want = {"": open(before[fmt], "rb").read()}
        check(got == want, "%s paged across writes (700-byte pages) is the "
              "export of before the writes" % fmt)
        out = os.path.join(tmp, "asof." + fmt)
        r = gloss("export", "--format", fmt, "--out", out, "--as-of",
                  str(seq))
        check(r.returncode == 0 and same_output(before[fmt], out),
              "%s --as-of %d after the writes is the same" % (fmt, seq))
    out = os.path.join(tmp, "now.jsonl")
    gloss("export", "--format", "jsonl", "--out", out)
    check(open(out, "rb").read() != open(before["jsonl"], "rb").read(),
          "an export of now differs")


def main():
    tmp = tempfile.mkdtemp(prefix="gloss-export-")
    proc, sock = start_glossd(tmp, "data")
    os.environ["GLOSS_SOCKET"] = sock
    os.environ["GLOSS_USER"] = "export-test"
    raw = Raw(tmp, sock)
    try:
        c = Corpus(raw)
        seeds = import_texts(tmp, c)
        annotate(c, seeds)
        revise(c)
        first = test_jsonl(tmp, c)
        test_w3c(tmp, c)
        test_brat(tmp, c)
        test_conll(tmp, c)
        test_spacy(tmp, c)
        test_mqm(tmp, c)
        test_round_trip(tmp, first)
        test_scopes(tmp, c)
        test_snapshot(tmp, c, raw, sock)
    finally:
        stop_glossd(proc)
        if glosstest.failures == 0:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print("kept", tmp, file=sys.stderr)
    glosstest.finish(tmp)

if __name__ == "__main__":
    main()
