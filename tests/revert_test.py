#!/usr/bin/python3
"""Issue 13's undo and safe edits, against a real glossd through the gloss
CLI (and the Python client for tokens): `gloss revert` of an edit, to
revision 1, and of a deletion (same id, listed again, history with every
revision, the feed carrying each change), refused on a stale etag, an
unknown or current revision, and another annotator's annotation; the
export of an undeleted annotation imported into a fresh glossd; and
`edit`/`rm --if-revision N` against a concurrent edit from another
process.  Arabic text, so that the spans restored are checked in it.

Run by ctest with /usr/bin/python3 and PYTHONPATH=client/python:tests.
"""
import json
import os
import re
import socket
import subprocess
import tempfile

import glosstest as gt
from glosstest import GLOSS, check, gloss
import gloss_client
from gloss_client import Client, GlossError

g = gloss_client.load_proto(os.environ["GLOSS_PROTO"])
TEXT = ("ترامب زار البيت الأبيض في واشنطن. "
        "Jensen Huang visitou Taipé e café.\n")


def rows(*args):
    r = gloss(*args, "--json")
    check(r.returncode == 0, "gloss %s: %s" % (" ".join(args), r.stderr))
    return [json.loads(x) for x in r.stdout.decode().splitlines()]


def one(*args):
    got = rows(*args)
    return got[0] if got else {}


def refuse(what, args, code, *needles):
    r = gloss(*args)
    err = r.stderr.decode()
    check(r.returncode == gt.EXIT[code] and code in err,
          "%s: exit %d, wanted %s: %s" % (what, r.returncode, code, err))
    for n in needles:
        check(n in err, "%s: %r not in %r" % (what, n, err))
    return err


def label(a):
    return a.get("entity", {}).get("label")


def changes_of(c, aid, since):
    ch = c.call("ListChanges", since_seq=since, wait_ms=0)
    return [(x.revision, g.Operation.Name(x.operation), x.author)
            for x in ch.changes if x.annotation_id == int(aid)]


def test_revert(c):
    since = c.call("ListChanges", wait_ms=0).last_seq
    a = one("tag", "doc", "--quote", "البيت الأبيض", "--label", "FAC",
            "--as", "ana")
    aid = a["id"]
    one("edit", aid, "--label", "ORG", "--as", "ana")
    one("edit", aid, "--label", "GPE", "--quote", "واشنطن", "--as", "ana")
    # The default: the one before the last.
    r = one("revert", aid, "--as", "bruno")
    check(r.get("revision") == "4" and label(r) == "ORG" and
          r["spans"][0]["exact"] == "البيت الأبيض" and
          r.get("updatedBy") == "bruno" and r.get("createdBy") == "ana",
          "revert: revision 4 is revision 2 again: %r" % r)
    check(r["spans"] == a["spans"], "revert: the spans of revision 2, "
          "every unit: %r" % r["spans"])
    r = one("revert", aid, "--to", "1", "--as", "ana")
    check(r.get("revision") == "5" and label(r) == "FAC",
          "revert --to 1: %r" % r)
    h = gloss("revert", aid, "--to", "3", "--as", "ana")
    check(h.returncode == 0 and h.stdout.startswith(
        b"reverted annotation %s (revision 6)" % aid.encode()),
        "revert, human: %r %r" % (h.stdout, h.stderr))
    revs = rows("history", aid)
    check([(x["revision"], label(x)) for x in revs] ==
          [("1", "FAC"), ("2", "ORG"), ("3", "GPE"), ("4", "ORG"),
           ("5", "FAC"), ("6", "GPE")], "history keeps every revision: %r"
          % [(x["revision"], label(x)) for x in revs])
    check(changes_of(c, aid, since) ==
          [(1, "OPERATION_CREATED", "ana"), (2, "OPERATION_UPDATED", "ana"),
           (3, "OPERATION_UPDATED", "ana"), (4, "OPERATION_UPDATED", "bruno"),
           (5, "OPERATION_UPDATED", "ana"), (6, "OPERATION_UPDATED", "ana")],
          "the feed carries each revert: %r" % changes_of(c, aid, since))
    refuse("revert to the current revision", ["revert", aid, "--to", "6"],
           "INVALID_ARGUMENT", "current one")
    refuse("revert to a revision not made yet", ["revert", aid, "--to",
                                                  "9"],
           "NOT_FOUND", "no revision 9", "1 to 6")
    r = gloss("revert", aid, "--to", "0")
    check(r.returncode == 2 and b"revision number" in r.stderr,
          "revert --to 0: a usage error: %r" % r.stderr)
    refuse("revert of an unknown id", ["revert", "999999"], "NOT_FOUND")
    one_rev = one("tag", "doc", "--quote", "Taipé", "--label", "GPE")
    refuse("revert of revision 1 alone", ["revert", one_rev["id"]],
           "INVALID_ARGUMENT", "only revision 1")
    return aid


def test_undelete(c, aid):
    since = c.call("ListChanges", wait_ms=0).last_seq
    one("rm", aid, "--as", "carla")
    check(aid not in [x["id"] for x in rows("annotations", "doc")],
          "rm hides it")
    refuse("revert to the deletion", ["revert", aid, "--to", "7"],
           "INVALID_ARGUMENT", "current one")
    r = one("revert", aid, "--as", "dora")
    check(r.get("id") == aid and r.get("revision") == "8" and
          r.get("state") == "STATE_ACTIVE" and label(r) == "GPE" and
          r["spans"][0]["exact"] == "واشنطن",
          "undelete: same id, live, revision 8: %r" % r)
    listed = [x for x in rows("annotations", "doc") if x["id"] == aid]
    check(listed and listed[0]["revision"] == "8",
          "undeleted: listed again: %r" % listed)
    out = gloss("annotations", "doc").stdout.decode().splitlines()
    check(out and out[0].split()[:2] == ["ID", "REV"] and
          any(re.match(r"^%s +8 +entity +GPE" % aid, x) for x in out),
          "annotations prints the revision: %r" % out)
    revs = rows("history", aid)
    check([x["state"][6:] for x in revs[-3:]] ==
          ["ACTIVE", "DELETED", "ACTIVE"] and len(revs) == 8,
          "history: the deletion and the undelete: %r" %
          [x["state"] for x in revs])
    check(changes_of(c, aid, since) ==
          [(7, "OPERATION_DELETED", "carla"), (8, "OPERATION_UPDATED",
                                               "dora")],
          "the feed carries the undelete: %r" % changes_of(c, aid, since))
    # A deletion reverted twice: the tombstone is no state to go back to.
    one("rm", aid)
    refuse("revert --to the tombstone", ["revert", aid, "--to", "7"],
           "INVALID_ARGUMENT", "is its deletion")
    r = one("revert", aid)
    check(r.get("revision") == "10" and r.get("state") == "STATE_ACTIVE",
          "a second undelete: %r" % r)


def test_stale(c, aid):
    a = c.call("GetAnnotation", id=int(aid)).annotation
    one("edit", aid, "--label", "LOC")
    try:
        c.call("RestoreAnnotationRevision", id=int(aid), revision=1,
               etag=a.etag)
        check(False, "a restore at a stale etag is refused")
    except GlossError as e:
        check(e.name == "ABORTED" and e.reason == "STALE_ETAG",
              "restore at a stale etag: %s %s" % (e.name, e.reason))
    try:
        c.call("RestoreAnnotationRevision", id=int(aid), revision=1)
        check(False, "a restore without an etag is refused")
    except GlossError as e:
        check(e.name == "INVALID_ARGUMENT" and "etag" in e.message,
              "restore without an etag: %s" % e.message)
    after = rows("history", aid)
    check(after[-1]["entity"]["label"] == "LOC",
          "nothing changed by the refusals")


def test_owner(tcp_url, sock):
    toks = {}
    for name, role in (("u-ann", "annotator"), ("u-other", "annotator"),
                       ("u-rev", "reviewer")):
        r = gloss("user", "add", name, "--role", role, sock=sock)
        toks[name] = r.stdout.decode().strip()
        check(r.returncode == 0, "user add %s: %s" % (name, r.stderr))
    with Client(tcp_url, proto=g, token=toks["u-other"]) as o, \
            Client(tcp_url, proto=g, token=toks["u-ann"]) as a, \
            Client(tcp_url, proto=g, token=toks["u-rev"]) as rv:
        x = o.call("CreateAnnotation", annotation={
            "article_id": "doc", "entity": {"label": "PERSON"},
            "select": [{"quote": {"exact": "Jensen Huang"}}]}).annotation
        x = o.call("DeleteAnnotation", id=x.id, etag=x.etag).annotation
        try:
            a.call("RestoreAnnotationRevision", id=x.id, etag=x.etag)
            check(False, "an annotator cannot undelete another's")
        except GlossError as e:
            check(e.name == "PERMISSION_DENIED" and
                  e.reason == "ANNOTATION_NOT_OWNED" and
                  "u-other" in e.message,
                  "annotator reverting another's: %s" % e.message)
        y = o.call("RestoreAnnotationRevision", id=x.id,
                   etag=x.etag).annotation
        check(y.revision == 3 and y.updated_by == "u-other",
              "its owner may: %s" % y)
        z = rv.call("RestoreAnnotationRevision", id=y.id, revision=1,
                    etag=y.etag).annotation
        check(z.revision == 4 and z.updated_by == "u-rev",
              "a reviewer may revert anyone's: %s" % z)


def test_if_revision(aid):
    a = one("edit", aid, "--label", "ORG", "--as", "ana")
    rev = int(a["revision"])
    # Another process edits between our read and our --if-revision.
    p = subprocess.run([GLOSS, "edit", aid, "--label", "PERSON", "--as",
                        "eve"], capture_output=True, timeout=60)
    check(p.returncode == 0, "the concurrent edit lands: %s" % p.stderr)
    err = refuse("edit --if-revision after another's edit",
                 ["edit", aid, "--label", "GPE", "--if-revision", str(rev),
                  "--as", "ana"], "ABORTED", "eve", "gloss history " + aid,
                 "revision %d" % (rev + 1), "not revision %d" % rev)
    check(re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", err),
          "the refusal says when: %r" % err)
    refuse("rm --if-revision after another's edit",
           ["rm", aid, "--if-revision", str(rev)], "ABORTED", "eve")
    check(rows("history", aid)[-1]["entity"]["label"] == "PERSON",
          "nothing changed by the refusals")
    r = one("edit", aid, "--label", "GPE", "--if-revision", str(rev + 1))
    check(r.get("revision") == str(rev + 2), "edit at the revision: %r" % r)
    r = gloss("edit", aid, "--label", "GPE", "--if-revision", "x")
    check(r.returncode == 2 and b"revision number" in r.stderr,
          "--if-revision x: usage: %r" % r.stderr)
    racing_if_revision(aid, rev + 2)
    r = one("rm", aid, "--if-revision", rows("history", aid)[-1]
            ["revision"])
    check(r.get("state") == "STATE_DELETED", "rm at the revision: %r" % r)


def racing_if_revision(aid, rev):
    """Eight processes edit at the same --if-revision: exactly one lands
    (each reads, then writes with the etag), the rest are refused."""
    procs = [subprocess.Popen([GLOSS, "edit", aid, "--name", "n%d" % i,
                               "--if-revision", str(rev), "--as",
                               "racer%d" % i],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for i in range(8)]
    won = 0
    for p in procs:
        out, err = p.communicate(timeout=60)
        won += p.returncode == 0
        check(p.returncode in (0, 5) and (p.returncode == 0 or
                                          b"racer" in err),
              "racing --if-revision exits 0, or 5 naming who: %r" % err)
    check(won == 1, "exactly one racing --if-revision edit lands: %d" % won)
    check(rows("history", aid)[-1]["revision"] == str(rev + 1),
          "one revision made by the race")


def test_roundtrip(tmp, sock):
    """An undeleted annotation's history exports and imports."""
    out = os.path.join(tmp, "all.jsonl")
    r = gloss("export", "--format", "jsonl", "--out", out, sock=sock)
    check(r.returncode == 0, "export: %s" % r.stderr)
    proc, sock2 = gt.start_glossd(tmp, name="again")
    r = gloss("import", "--format", "jsonl", out, sock=sock2)
    check(r.returncode == 0, "import of a history with an undelete: %s"
          % r.stderr)
    a = gloss("annotations", "--deleted", "--json", sock=sock).stdout
    b = gloss("annotations", "--deleted", "--json", sock=sock2).stdout
    check(a == b and a, "the same annotations after the round trip")
    gt.stop_glossd(proc)


def test_article_gone(tmp):
    """The restored revision is checked again: on a deleted article it is
    refused, and nothing changes."""
    path = os.path.join(tmp, "gone.txt")
    with open(path, "w") as f:
        f.write(TEXT)
    check(gloss("import", "--lang", "ar", "--id", "gone", path)
          .returncode == 0, "import gone")
    a = one("tag", "gone", "--quote", "ترامب", "--label", "PERSON")
    one("edit", a["id"], "--label", "ORG")
    r = gloss("rm-article", "gone")
    check(r.returncode == 0, "rm-article: %s" % r.stderr)
    refuse("revert on a deleted article", ["revert", a["id"]],
           "FAILED_PRECONDITION", "gone")
    check(rows("history", a["id"])[-1]["revision"] == "2",
          "nothing stored by the refusal")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    tmp = tempfile.mkdtemp(prefix="gloss-revert-")
    tcp_url = "tcp://127.0.0.1:%d" % free_port()
    proc, sock = gt.start_glossd(tmp, listen=(tcp_url,))
    os.environ["GLOSS_SOCKET"] = sock
    path = os.path.join(tmp, "doc.txt")
    with open(path, "w") as f:
        f.write(TEXT)
    r = gloss("import", "--lang", "ar", "--id", "doc", path)
    check(r.returncode == 0, "import: %s" % r.stderr)
    with Client(sock, proto=g) as c:
        aid = test_revert(c)
        test_undelete(c, aid)
        test_stale(c, aid)
    test_if_revision(aid)
    test_article_gone(tmp)
    test_roundtrip(tmp, sock)
    test_owner(tcp_url, sock)
    gt.stop_glossd(proc)
    gt.finish(tmp)


main()
