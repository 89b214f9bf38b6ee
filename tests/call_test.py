#!/usr/bin/env python3
"""Integration test of `gloss call` against a real glossd.

`gloss call` reaches every method of gloss.proto's service (each called
with a small request of its own, each answered OK in the method's own
response), a write and its read round-trip through it (Arabic included),
an export made by call is imported by call into a second glossd, and what
call cannot send (an unknown method, JSON that is not the request) is
refused with the place and the nearest name, with nothing stored.
Standard library only.
"""
import base64
import json
import os
import re
import shutil
import subprocess
import tempfile

import glosstest
from glosstest import check, gloss, start_glossd, stop_glossd

PROTO = os.path.join(os.environ["GLOSS_PROTO"], "gloss", "v1",
                     "gloss.proto")
AR = "زار الرئيس جنسن هوانغ تايبيه. 👍🏽"
PT = "O presidente Jensen Huang visitou Taipé."


def service_methods():
    """The rpc lines of gloss.proto's service, read from the file itself:
    name -> (request type, response type)."""
    with open(PROTO) as f:
        text = f.read()
    body = re.search(r"service Gloss \{(.*?)\n\}", text, re.S).group(1)
    return {m[0]: (m[1], m[2]) for m in re.findall(
        r"rpc (\w+)\((\w+)\)\s*returns \((\w+)\);", body)}


def call(method, request=None, sock=None, stdin=None, *flags):
    """gloss call METHOD [REQUEST] --json; the run and the reply (or None)."""
    args = ["call", method, "--json", *flags]
    if request is not None:
        args.insert(2, request if isinstance(request, str)
                    else json.dumps(request, ensure_ascii=False))
    r = gloss(*args, stdin=stdin, sock=sock)
    try:
        reply = json.loads(r.stdout) if r.returncode == 0 else None
    except ValueError:
        reply = None
    return r, reply


def last_seq():
    return int(call("GetServerInfo")[1].get("lastSeq", "0"))


def test_list():
    want = service_methods()
    r = gloss("call", "--list")
    got = r.stdout.decode().split()
    check(r.returncode == 0 and got == list(want),
          "call --list is the service's methods in order: %r" % got)
    check(len(want) >= 19, "the service declares every method: %d" %
          len(want))
    return want


def every_method(tmp):
    """A request for each method, in an order in which each succeeds, and
    a check of its reply."""
    ids = {}

    def annotation(reply):
        ids["ann"] = reply["annotation"]["id"]
        ids["etag"] = reply["annotation"]["etag"]
        return reply["annotation"]["spans"][0]["exact"] == "Taipé"

    return [
        ("GetServerInfo", {}, lambda r: r["protocol"] == "gloss.v1"),
        ("CreateArticle", {"article": {"id": "call-pt", "language": "pt",
                                       "text": PT}},
         lambda r: r["article"]["charCount"] == len(PT)),
        ("GetArticle", {"id": "call-pt"},
         lambda r: r["article"]["text"] == PT),
        ("ListArticles", {"pageSize": 10},
         lambda r: [a["id"] for a in r["articles"]] == ["call-pt"]),
        ("CreateAnnotation", lambda: {"annotation": {
            "articleId": "call-pt", "select": [{"quote": {"exact": "Taipé"}}],
            "entity": {"label": "GPE"}}}, annotation),
        ("GetAnnotation", lambda: {"id": ids["ann"]},
         lambda r: r["annotation"]["entity"]["label"] == "GPE"),
        ("UpdateAnnotation", lambda: {"annotation": {
            "id": ids["ann"], "etag": ids["etag"],
            "entity": {"label": "LOC"}}},
         lambda r: r["annotation"]["revision"] == "2"),
        ("ListAnnotations", {"articleId": "call-pt"},
         lambda r: r["annotations"][0]["entity"]["label"] == "LOC"),
        ("GetAnnotationHistory", lambda: {"id": ids["ann"]},
         lambda r: len(r["revisions"]) == 2),
        ("DeleteAnnotation", lambda: {"id": ids["ann"]},
         lambda r: r["annotation"]["state"] == "STATE_DELETED" and
         ids.update(etag=r["annotation"]["etag"]) is None),
        # The undelete: revision 2 again, as revision 4 (exported below).
        ("RestoreAnnotationRevision", lambda: {"id": ids["ann"],
                                               "etag": ids["etag"]},
         lambda r: r["annotation"]["revision"] == "4" and
         r["annotation"]["state"] == "STATE_ACTIVE" and
         r["annotation"]["entity"]["label"] == "LOC"),
        ("ListLabels", {"set": "entity"},
         lambda r: r["sets"][0]["name"] == "entity"),
        ("AddLabel", {"set": "entity", "label": {"name": "CALLED"}},
         lambda r: r["added"] is True),
        ("SearchText", {"text": "Taipé"},
         lambda r: r["matches"][0]["articleId"] == "call-pt"),
        ("ListChanges", {"limit": 3},
         lambda r: [c["seq"] for c in r["changes"]] == ["1", "2", "3"]),
        ("GetStats", {}, lambda r: r["articles"] == "1"),
        ("GetTranslationGroup", {"group": "call-pt"},
         lambda r: r["original"]["id"] == "call-pt"),
        ("Export", {"format": "jsonl"},
         lambda r: export_into(tmp, r)),
        ("DeleteArticle", {"id": "call-pt"},
         lambda r: r["article"]["state"] == "STATE_DELETED"),
        ("CreateUser", {"name": "call-ana", "role": "ROLE_ANNOTATOR"},
         lambda r: r["token"].startswith("gls_") and
         r["user"]["role"] == "ROLE_ANNOTATOR"),
        ("ListUsers", {},
         lambda r: [u["name"] for u in r["users"]] == ["call-ana"]),
        ("RotateUserToken", {"name": "call-ana"},
         lambda r: r["token"].startswith("gls_") and
         "rotatedTimeMs" in r["user"]),
        ("RevokeUser", {"name": "call-ana"},
         lambda r: "revokedTimeMs" in r["user"]),
    ]


def export_into(tmp, reply):
    """The export call's file, imported by ImportRecords (through call)
    into a fresh glossd: the import answers complete, and the article reads
    back the same."""
    data = b"".join(base64.b64decode(c.get("data", ""))
                    for c in reply["chunks"])
    check(reply.get("nextPageToken", "") == "", "the export is one page")
    proc, sock = start_glossd(tmp, "fresh")
    try:
        r, rep = call("ImportRecords", {"format": "jsonl",
                                        "data": data.decode(),
                                        "last": True}, sock)
        check(rep is not None and rep.get("complete") is True,
              "ImportRecords by call: %r %r" % (r.stderr, rep))
        r, got = call("GetArticle", {"id": "call-pt"}, sock)
        check(got is not None and got["article"]["text"] == PT,
              "the imported article reads back")
    finally:
        stop_glossd(proc)
    return b'"format":"gloss.v1.jsonl"' in data.splitlines()[0]


def test_every_method(tmp, methods):
    """gloss call reaches every method: each answers OK, in its own
    response, as its check wants."""
    reached = {"ImportRecords"}  # by export_into(), in a second glossd
    for name, request, want in every_method(tmp):
        if callable(request):
            request = request()
        r, reply = call(name, request)
        ok = r.returncode == 0 and reply is not None
        check(ok and want(reply), "call %s %s: rc %d, %r, %r" %
              (name, json.dumps(request), r.returncode, r.stderr,
               r.stdout[:300]))
        check(b"UNIMPLEMENTED" not in r.stderr, name + " is implemented")
        reached.add(name)
    check(reached == set(methods),
          "every method was called: missing %r" % (set(methods) - reached))


def test_round_trip():
    """A write through call, on standard input, read back through call:
    the text as it was, every count by Python's arithmetic."""
    r, made = call("CreateArticle", "-", None, json.dumps(
        {"article": {"language": "ar", "title": "نص", "text": AR,
                     "metadata": {"source": "call-test"}}}).encode())
    check(made is not None, "CreateArticle from stdin: %r" % r.stderr)
    aid = made["article"]["id"] if made else ""
    r, got = call("GetArticle", {"id": aid})
    a = got["article"] if got else {}
    check(a.get("text") == AR and a.get("title") == "نص" and
          a.get("metadata") == {"source": "call-test"},
          "GetArticle gives the Arabic text back: %r" % a)
    check(a.get("byteCount") == len(AR.encode()) and
          a.get("charCount") == len(AR) and
          a.get("utf16Count") == len(AR.encode("utf-16-le")) // 2,
          "counts in three units: %r" % a)
    # The default output is indented; --json is one line, the same JSON.
    r = gloss("call", "GetArticle", json.dumps({"id": aid}))
    check(r.returncode == 0 and r.stdout.count(b"\n") > 5 and
          json.loads(r.stdout) == got, "indented output by default")
    r = gloss("call", "gloss.v1.Gloss/GetArticle", json.dumps({"id": aid}),
              "--json")
    check(r.returncode == 0 and r.stdout.count(b"\n") == 1,
          "qualified names, and one line with --json")
    # Proto names and null are read too.
    r, got = call("GetArticle", '{"id": "%s", "omit_text": true, '
                  '"as_of_seq": null}' % aid)
    check(got is not None and "text" not in got["article"],
          "proto names and null: %r" % r.stderr)


def test_refused():
    """What call cannot send: refused (exit 2) with the nearest names, or
    the line, column and field of the JSON; glossd's own refusals exit 1.
    Nothing is stored."""
    before = last_seq()
    r = gloss("call", "GetArticel", "{}")
    check(r.returncode == 2 and b"did you mean GetArticle?" in r.stderr,
          "a misspelt method: %r" % r.stderr)
    r = gloss("call", "get_annotation")
    check(r.returncode == 2 and b"GetAnnotation" in r.stderr,
          "a snake_case name is pointed to its method: %r" % r.stderr)
    r = gloss("call", "Annotation")
    check(r.returncode == 2 and b"CreateAnnotation" in r.stderr,
          "a part of names points to them: %r" % r.stderr)
    r = gloss("call", "Frobnicate")
    check(r.returncode == 2 and b"no method 'Frobnicate'" in r.stderr and
          b"--list" in r.stderr, "an unknown method: %r" % r.stderr)
    bad = [
        ('{"article": {"language": "pt", "text": }}', b"line 1, column 40: article.text: a string was expected"),
        ('{\n  "article": {\n    "languag": "pt"\n  }\n}',
         b"line 3, column 5: article: gloss.v1.Article has no field "
         b"'languag'; did you mean 'language'?"),
        ('{"article": {"text": "نص", "byteCount": -1}}',
         b"article.byte_count: '-1' is not an unsigned 32-bit integer"),
        ('{"article": {"text": "\\ud800"}}', b"lone high surrogate"),
        ('{"article": {"text": "a"}} {}', b"text follows"),
        ('{"article": {"state": "GONE"}}', b"STATE_ACTIVE"),
    ]
    for text, want in bad:
        r = gloss("call", "CreateArticle", text)
        check(r.returncode == 2 and want in r.stderr,
              "bad JSON %r: %r" % (text, r.stderr))
    r = gloss("call", "CreateAnnotation", '{"annotation": {"select": '
              '[{"quote": {}}, {"range": {"unit": "UNIT_BOGUS"}}]}}')
    check(r.returncode == 2 and
          b"annotation.select[1].range.unit: 'UNIT_BOGUS'" in r.stderr,
          "the field's path: %r" % r.stderr)
    r = gloss("call", "CreateArticle", "-", stdin=b'{"article": {"text": '
              b'"\xff"}}')
    check(r.returncode == 2 and b"not UTF-8" in r.stderr,
          "bad UTF-8 on stdin: %r" % r.stderr)
    # JSON of the request, which glossd refuses: its status, exit 1.
    r = gloss("call", "CreateArticle", '{"article": {"language": "pt"}}')
    check(r.returncode == 3 and b"INVALID_ARGUMENT" in r.stderr,
          "glossd's refusal: %r" % r.stderr)
    r = gloss("call", "GetArticle", '{"id": "ghost"}')
    check(r.returncode == 4 and b"NOT_FOUND" in r.stderr and
          r.stdout == b"", "NOT_FOUND: %r" % r.stderr)
    check(last_seq() == before, "nothing was stored")


def test_describe():
    r = gloss("call", "--describe", "GetArticle")
    out = r.stdout.decode()
    check(r.returncode == 0 and out.startswith(
        "rpc GetArticle(GetArticleRequest) returns (GetArticleResponse)"),
        "describe's first line: %r" % out[:80])
    for want in ("message GetArticleRequest {", "  string id = 1;",
                 "  uint64 as_of_seq = 3;  // JSON: asOfSeq",
                 "message Article {", "  map<string, string> metadata = 5;",
                 "enum State {", "  STATE_DELETED = 2;"):
        check(want in out, "describe GetArticle shows %r" % want)
    r = gloss("call", "--describe", "CreateAnnotation")
    out = r.stdout.decode()
    check("  repeated SpanSelector select = 3;" in out and
          "  oneof {" in out and "message Quote {" in out and
          "enum Unit {" in out, "describe follows the types: %r" % out)
    r = gloss("call", "--describe", "Nope")
    check(r.returncode == 2, "describe of an unknown method")


def test_descriptors():
    """GetServerInfo with includeDescriptors: the FileDescriptorSet protoc
    makes of gloss.proto, as base64 in the JSON."""
    r, info = call("GetServerInfo", {"includeDescriptors": True})
    got = base64.b64decode(info.get("fileDescriptorSet", "")) if info \
        else b""
    want = subprocess.run(
        ["protoc", "--include_source_info", "--descriptor_set_out=/dev/stdout",
         "-I" + os.environ["GLOSS_PROTO"], "gloss/v1/gloss.proto"],
        capture_output=True).stdout
    check(len(got) > 1000 and got == want,
          "file_descriptor_set is protoc's: %d bytes, protoc %d" %
          (len(got), len(want)))
    r, info = call("GetServerInfo")
    check(info is not None and "fileDescriptorSet" not in info,
          "not without includeDescriptors")


def main():
    tmp = tempfile.mkdtemp(prefix="gloss-call-")
    os.environ["GLOSS_SOCKET"] = "ipc://" + tmp + "/data/glossd.sock"
    os.environ["GLOSS_USER"] = "call-test"
    proc, _ = start_glossd(tmp)
    try:
        methods = test_list()
        test_every_method(tmp, methods)
        test_round_trip()
        test_refused()
        test_describe()
        test_descriptors()
    finally:
        stop_glossd(proc)
        if glosstest.failures == 0:
            shutil.rmtree(tmp, ignore_errors=True)
    glosstest.finish(tmp)


if __name__ == "__main__":
    main()
