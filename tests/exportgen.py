"""Large datasets for the export tests, made fast: a complete gloss.v1.jsonl
file written here (articles with their SHA-256 and sizes, entity
annotations with spans in every unit and their TextQuote, the change feed)
and restored into a fresh glossd by `gloss import --format jsonl`, which
checks every record as it would a real export.  Standard library only.
"""
import hashlib
import json

CONTEXT = 32  # code points of a TextQuote's prefix and suffix (span.h)
TIME = 1767225600000  # 2026-01-01, every record's time


def utf16_len(s):
    return len(s.encode("utf-16-le")) // 2


def span(text, cs, ce):
    """A span of text[cs:ce] (code points) as glossd stores it."""
    return {"byteStart": len(text[:cs].encode()),
            "byteEnd": len(text[:ce].encode()),
            "charStart": cs, "charEnd": ce,
            "utf16Start": utf16_len(text[:cs]),
            "utf16End": utf16_len(text[:ce]),
            "exact": text[cs:ce], "prefix": text[max(0, cs - CONTEXT):cs],
            "suffix": text[ce:ce + CONTEXT]}


class Dataset:
    """Articles and entities, in the order they were made; write() gives
    the jsonl an export of them would be."""

    def __init__(self):
        self.lines = []
        self.changes = []
        self.next_id = 1
        self.groups = {}
        self.texts = {}   # article id -> text
        self.ann = {}     # annotation id -> what export_test's readers
                          # expect (kind, article, spans, label, ...)

    def _change(self, subject, article, annotation=0):
        seq = len(self.changes) + 1
        ch = {"seq": str(seq), "timeMs": str(TIME), "author": "gen",
              "subject": subject, "operation": "OPERATION_CREATED",
              "articleId": article, "revision": "1",
              "requestId": "gen-%d" % seq}
        if annotation:
            ch["annotationId"] = str(annotation)
        self.changes.append(ch)
        return seq

    def article(self, aid, lang, text, translation_of=""):
        """A new article; the annotations made next are on it."""
        seq = self._change("SUBJECT_ARTICLE", aid)
        raw = text.encode()
        self.group = self.groups.get(translation_of, aid)
        rec = {"id": aid, "language": lang, "text": text,
               "sha256": hashlib.sha256(raw).hexdigest(),
               "group": self.group, "byteCount": len(raw),
               "charCount": len(text), "utf16Count": utf16_len(text),
               "state": "STATE_ACTIVE", "revision": "1",
               "etag": "1-%x" % seq, "createdBy": "gen",
               "createTimeMs": str(TIME), "createSeq": str(seq)}
        if translation_of:
            rec["translationOf"] = translation_of
        self.lines.append({"article": rec})
        self.groups[aid] = self.group
        self.texts[aid] = text
        self.text = text
        self.aid = aid

    def _annotation(self, spans, kind, body):
        nid = self.next_id
        self.next_id += 1
        seq = self._change("SUBJECT_ANNOTATION", self.aid, nid)
        rec = {"id": str(nid), "articleId": self.aid,
               "spans": [span(self.text, cs, ce) for cs, ce in spans],
               "kind": kind, "state": "STATE_ACTIVE", "revision": "1",
               "etag": "1-%x" % seq, "createdBy": "gen",
               "createTimeMs": str(TIME), "createSeq": str(seq),
               "updatedBy": "gen", "updateTimeMs": str(TIME),
               "updateSeq": str(seq), "group": self.group}
        rec.update(body)
        self.lines.append({"annotation": rec})
        short = {"KIND_ENTITY": "entity", "KIND_NOTE": "note",
                 "KIND_TRANSLATION_NOTE": "translation"}[kind]
        label = body.get("entity", body.get("translationNote", {}))
        self.ann[nid] = dict(kind=short, article=self.aid, spans=spans,
                             label=label.get("label",
                                             label.get("category", "")),
                             state="active", author="gen", kb="")
        return nid

    def entity(self, cs, ce, label, more=()):
        """An entity on the last article, text[cs:ce] in code points (and
        more (cs, ce) parts: a discontinuous span)."""
        return self._annotation([(cs, ce)] + list(more), "KIND_ENTITY",
                                {"entity": {"label": label}})

    def note(self, cs, ce, text):
        return self._annotation([(cs, ce)], "KIND_NOTE",
                                {"note": {"text": text}})

    def flag(self, cs, ce, source, scs, sce, category, severity):
        """A translation note on the last article, on source article
        `source` (made before it) at source[scs:sce]."""
        src = self.texts[source]
        return self._annotation(
            [(cs, ce)], "KIND_TRANSLATION_NOTE", {"translationNote": {
                "sourceArticleId": source,
                "sourceSpan": span(src, scs, sce), "category": category,
                "severity": severity}})

    def write(self, path):
        with open(path, "w", encoding="utf-8") as f:
            f.write(json.dumps({"header": {
                "format": "gloss.v1.jsonl", "version": 2,
                "asOfSeq": str(len(self.changes)), "complete": True}},
                separators=(",", ":")) + "\n")
            for rec in self.lines:
                f.write(json.dumps(rec, ensure_ascii=False,
                                   separators=(",", ":")) + "\n")
            for ch in self.changes:
                f.write(json.dumps({"change": ch}, ensure_ascii=False,
                                   separators=(",", ":")) + "\n")


def words_text(n_bytes, words, seed=1):
    """About n_bytes of sentences made of `words`, deterministic."""
    out, size, i = [], 0, seed
    while size < n_bytes:
        sent = []
        for _ in range(8 + i % 9):
            i = (i * 1103515245 + 12345) % (1 << 31)
            sent.append(words[i % len(words)])
        s = " ".join(sent).capitalize() + ". "
        if i % 7 == 0:
            s += "\n"
        out.append(s)
        size += len(s.encode())
    return "".join(out)
