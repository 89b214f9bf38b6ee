#!/usr/bin/env python3
"""The versions of the jsonl format: ImportRecords reads a file of every
version up to the one glossd writes.

tests/fixtures/export-v1.jsonl is a complete export of version 1 (Span's
byte offsets named "start" and "end"), with every kind of annotation, a
span in evidence and in a translation note, revisions and a deletion, on
Arabic and Portuguese text.  It must import, in one call or across calls
and a restart (the version is kept with the import's state), every span
at its offsets; and exporting it again must give the file glossd writes
now: version 1's lines with the names of today's version.  A version
glossd does not know is refused, with nothing stored.  Standard library
only.
"""
import json
import os
import shutil
import tempfile

import glosstest
from glosstest import check, gloss, start_glossd, stop_glossd

FIXTURE = os.path.join(os.environ["GLOSS_TESTS"], "fixtures",
                       "export-v1.jsonl")

# What each version renamed, by message: version -> {old: new}.
RENAMED = {2: {"Span": {"start": "byteStart", "end": "byteEnd"}}}
SPAN_KEYS = ("span", "spans", "sourceSpan")


def call(method, request, sock):
    r = gloss("call", method, json.dumps(request, ensure_ascii=False),
              "--json", sock=sock)
    return r, (json.loads(r.stdout) if r.returncode == 0 else None)


def rename_spans(obj, names):
    """obj with every Span's keys renamed, in their order."""
    if isinstance(obj, list):
        return [rename_spans(x, names) for x in obj]
    if not isinstance(obj, dict):
        return obj
    out = {}
    for k, v in obj.items():
        if k in SPAN_KEYS:
            spans = v if isinstance(v, list) else [v]
            spans = [{names.get(sk, sk): sv for sk, sv in s.items()}
                     for s in spans]
            out[k] = spans if isinstance(v, list) else spans[0]
        else:
            out[k] = rename_spans(v, names)
    return out


def upgrade(lines, version):
    """The lines of a version-1 file as version `version` writes them."""
    out = []
    for line in lines:
        rec = json.loads(line)
        for v in range(2, version + 1):
            rec = rename_spans(rec, RENAMED[v]["Span"])
        if "header" in rec:
            rec["header"]["version"] = version
        out.append(json.dumps(rec, ensure_ascii=False,
                              separators=(",", ":")))
    return out


def export(tmp, sock, name):
    out = os.path.join(tmp, name)
    r = gloss("export", "--format", "jsonl", "--out", out, sock=sock)
    check(r.returncode == 0, "export: %r" % r.stderr)
    with open(out, encoding="utf-8") as f:
        return f.read().splitlines()


def check_spans(lines, sock):
    """Every revision's spans, stored, at the file's byte offsets."""
    for line in lines:
        rec = json.loads(line).get("annotation")
        if rec is None:
            continue
        r, hist = call("GetAnnotationHistory", {"id": rec["id"]}, sock)
        revs = {x["revision"]: x for x in (hist or {}).get(
            "revisions", [])}
        got = revs.get(rec["revision"], {})
        for want, have in zip(rec["spans"], got.get("spans", [])):
            b = (have.get("byteStart", have.get("start", 0)),
                 have.get("byteEnd", have.get("end", 0)))
            check(b == (want.get("start", 0), want["end"]) and
                  have["exact"] == want["exact"],
                  "annotation %s rev %s: span %r, file %r" %
                  (rec["id"], rec["revision"], have, want))


def test_one_call(tmp, lines):
    proc, sock = start_glossd(tmp, "one")
    try:
        r = gloss("import", "--format", "jsonl", FIXTURE, sock=sock)
        check(r.returncode == 0 and b"imported 21 records" in r.stdout,
              "version 1 imports: %r %r" % (r.stdout, r.stderr))
        check_spans(lines, sock)
        again = export(tmp, sock, "again.jsonl")
        version = json.loads(again[0])["header"]["version"]
        check(version >= 1 and version - 1 <= len(RENAMED),
              "the export's version: %d" % version)
        check(again == upgrade(lines, version),
              "re-exported: version 1 in today's names (version %d)" %
              version)
        return version
    finally:
        stop_glossd(proc)


def test_across_a_restart(tmp, lines):
    """The header in one call, the rest after a restart: the version
    came through in the import's state."""
    proc, sock = start_glossd(tmp, "split")
    try:
        r, rep = call("ImportRecords", {"format": "jsonl",
                                        "data": lines[0] + "\n"}, sock)
        token = (rep or {}).get("importToken", "")
        check(token != "", "the header alone: %r" % r.stderr)
    finally:
        stop_glossd(proc)
    proc, sock = start_glossd(tmp, "split")
    try:
        r, rep = call("ImportRecords", {
            "format": "jsonl", "data": "\n".join(lines[1:]) + "\n",
            "importToken": token, "firstLine": 2, "last": True}, sock)
        check(rep is not None and rep.get("complete") is True,
              "the rest, after a restart: %r" % r.stderr)
        check_spans(lines, sock)
    finally:
        stop_glossd(proc)


def test_refused(tmp, lines, version):
    proc, sock = start_glossd(tmp, "refused")
    try:
        future = lines[0].replace('"version":1', '"version":%d' %
                                  (version + 1))
        r, rep = call("ImportRecords", {"format": "jsonl", "last": True,
                                        "data": "\n".join(
                                            [future] + lines[1:]) + "\n"},
                      sock)
        check(r.returncode == 3 and b"INVALID_ARGUMENT" in r.stderr and
              ("version %d" % (version + 1)).encode() in r.stderr,
              "a newer version is refused: %r" % r.stderr)
        if version >= 2:
            # Version 1's names are read in version-1 files only.
            current = upgrade(lines[:1], version)[0]
            r, rep = call("ImportRecords", {
                "format": "jsonl", "last": True,
                "data": "\n".join([current] + lines[1:]) + "\n"}, sock)
            check(r.returncode == 3 and b"line 7: column" in r.stderr and
                  b"no field 'start'" in r.stderr,
                  "old names in a new file: %r" % r.stderr)
        r, info = call("GetServerInfo", {}, sock)
        check(info is not None and info.get("lastSeq", "0") == "0" and
              "unfinishedImport" not in info, "nothing was stored")
    finally:
        stop_glossd(proc)


def main():
    tmp = tempfile.mkdtemp(prefix="gloss-jsonl-")
    with open(FIXTURE, encoding="utf-8") as f:
        lines = f.read().splitlines()
    check(json.loads(lines[0])["header"]["version"] == 1,
          "the fixture is of version 1")
    try:
        version = test_one_call(tmp, lines)
        test_across_a_restart(tmp, lines)
        test_refused(tmp, lines, version)
    finally:
        if glosstest.failures == 0:
            shutil.rmtree(tmp, ignore_errors=True)
    glosstest.finish(tmp, "refused.log")


if __name__ == "__main__":
    main()
