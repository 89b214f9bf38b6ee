#!/usr/bin/python3
"""Issue 12's identities, roles and tokens against a real glossd on ipc://,
loopback tcp:// and tls+tcp:// (certificates by openssl: tlscerts.py; the
TLS faults themselves are tls_test's): who the caller is on each
(ipc: the OS user; tcp: the declared author while no user exists, a token
after), the full method x role matrix derived from the permission table
(daemon/method.c), author spoofing refused, an annotator kept to its own
annotations, request ids private, revocation and rotation effective on the
next request, a loop of wrong tokens slowed and logged without a secret,
bidi and line-separator authors refused, the token file's mode, and
glossd --init-admin.  Over tls+tcp:// the matrix again, and a team's day
with the CLI as two machines would have it (test_team).

Run by ctest with /usr/bin/python3 and PYTHONPATH=client/python:tests.
"""
import json
import os
import pwd
import re
import socket
import stat
import subprocess
import tempfile
import time

import glosstest as gt
import tlscerts
from glosstest import check
import gloss_client
from gloss_client import Client, GlossError

g = gloss_client.load_proto(os.environ["GLOSS_PROTO"])
HERE = os.path.dirname(os.path.abspath(__file__))
ME = pwd.getpwuid(os.geteuid()).pw_name
ROLES = ["reader", "annotator", "reviewer", "curator", "admin"]
TEXT = "Jensen Huang visitou Taipé. Ana e Bob anotaram. ترامب في تايبيه."


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def role_of(name):
    """"ADMIN" or "ROLE_ADMIN" -> the enum's value."""
    name = name.upper()
    return g.Role.Value(name if name.startswith("ROLE_") else "ROLE_" + name)


def permission_table():
    """{method: least role}, read from glossd's own method table."""
    src = open(os.path.join(HERE, "..", "daemon", "method.c")).read()
    rows = re.findall(r'\{\s*"(\w+)",\s*\w+,\s*[^{}]*?R\((\w+)\)\s*\}', src)
    return {name: role_of(role) for name, role in rows}


def call(c, method, token="", author="", **fields):
    """method's reply arm, or the GlossError it raised."""
    q = c.request(method, **fields)
    q.token = token
    q.author = author
    try:
        return getattr(c.send(q, timeout=10), q.WhichOneof("body"))
    except GlossError as e:
        return e


def err(r, name, reason=None):
    return isinstance(r, GlossError) and r.name == name and \
        (reason is None or r.reason == reason)


def ok(r):
    return not isinstance(r, GlossError)


def test_tokens_off(ipc, tcp):
    """No user yet: ipc is the OS user (admin, glossd's own uid); tcp is
    the declared author, as before this issue."""
    i = call(ipc, "GetServerInfo")
    check(ok(i) and i.caller.name == ME and i.caller.authenticated_by ==
          "ipc" and i.caller.role == role_of("admin"),
          "ipc caller is the OS user %s, admin: %s" % (ME, i))
    t = call(tcp, "GetServerInfo", author="zoe")
    check(ok(t) and t.caller.name == "zoe" and
          t.caller.authenticated_by == "none" and
          t.caller.role == role_of("admin"),
          "tcp without users: the declared author, admin: %s" % t)
    # Tokens-off trust does not reach the users: a local process over
    # tcp cannot mint the first admin (and so take glossd over).
    for m, body in (("CreateUser", {"name": "evil", "role": "ROLE_ADMIN"}),
                    ("ListUsers", {}), ("RotateUserToken", {"name": ME})):
        r = call(tcp, m, author="evil", **body)
        check(err(r, "PERMISSION_DENIED") and "proven admin" in r.message,
              "%s over tcp without a token: %s" % (m, r))
    r = call(ipc, "ListUsers")
    check(ok(r) and len(r.users) == 0, "no user was made: %s" % r)
    a = call(ipc, "CreateArticle", article={"id": "art", "language": "pt",
                                            "text": TEXT})
    check(ok(a) and a.article.created_by == ME,
          "ipc author = OS user: created_by %r" % getattr(
              getattr(a, "article", None), "created_by", a))


def test_bad_authors(ipc):
    for bad in ["ana\u202e", "\u2028ana", "an\u2029a", "\u200fana",
                "a\u061cna", "\u2066x\u2069", "a\u202ab", "an\u0007a"]:
        r = call(ipc, "CreateAnnotation", author=bad, annotation={
            "article_id": "art", "note": {"text": "x"},
            "select": [{"quote": {"exact": "Taipé"}}]})
        check(err(r, "INVALID_ARGUMENT", "FIELD_INVALID") and
              "author" in r.message, "author %r refused: %s" % (bad, r))
        r = call(ipc, "CreateUser", name=bad, role="ROLE_READER")
        check(err(r, "INVALID_ARGUMENT"), "user name %r refused: %s"
              % (bad, r))


def add_users(sock):
    """One user per role, made with `gloss user add` over ipc: {role:
    token}."""
    tokens = {}
    for role in ROLES:
        r = gt.gloss("user", "add", "u-" + role, "--role", role, sock=sock)
        tok = r.stdout.decode().strip()
        check(r.returncode == 0 and
              re.fullmatch(r"gls_[0-9a-f]{16}_[0-9a-f]{40}", tok),
              "user add %s: %r %s" % (role, tok, r.stderr))
        tokens[role] = tok
    r = gt.gloss("user", "add", "u-reader", "--role", "admin", sock=sock)
    check(r.returncode == gt.EXIT["ALREADY_EXISTS"],
          "user add twice: %s" % r.stderr)
    r = gt.gloss("user", "list", sock=sock)
    out = r.stdout.decode()
    check(r.returncode == 0 and all("u-" + x in out for x in ROLES) and
          not any(t.split("_")[2] in out for t in tokens.values()),
          "user list names them, without secrets: %s" % out)
    return tokens


def test_tokens_on(tcp, tokens, **tls):
    with Client(tcp.url, proto=g, token=tokens["curator"], **tls) as c:
        i = c.call("GetServerInfo")
        check(i.caller.name == "u-curator", "Client(token=): %s" % i.caller)
    r = call(tcp, "GetServerInfo")
    check(err(r, "UNAUTHENTICATED", "TOKEN_REQUIRED") and
          "GLOSS_TOKEN" in r.message,
          "tcp without a token once users exist: %s" % r)
    for role, tok in tokens.items():
        i = call(tcp, "GetServerInfo", token=tok)
        check(ok(i) and i.caller.name == "u-" + role and
              i.caller.role == role_of(role) and
              i.caller.authenticated_by == "token" and
              tok.startswith("gls_" + i.caller.token_id),
              "token of %s: %s" % (role, i))


def test_matrix(tcp, tokens):
    """Every method of the service for every role: PERMISSION_DENIED
    (ROLE_INSUFFICIENT) exactly below the table's role.  The bodies are
    empty: a call let through fails on its arguments (or succeeds
    harmlessly), never on its role."""
    table = permission_table()
    service = g.DESCRIPTOR.services_by_name["Gloss"]
    check(len(table) == len(service.methods) and
          all(m.name in table for m in service.methods),
          "the table has a role for every method: %s" % sorted(table))
    for m in service.methods:
        for role in ROLES:
            body = {"wait_ms": 0} if m.name == "ListChanges" else {}
            r = call(tcp, m.name, token=tokens[role], **body)
            denied = err(r, "PERMISSION_DENIED", "ROLE_INSUFFICIENT")
            want = role_of(role) < table[m.name]
            check(denied == want and not err(r, "UNAUTHENTICATED"),
                  "%s as %s: %s" % (m.name, role,
                                    r if isinstance(r, GlossError) else
                                    "OK"))
            if denied:
                check(ROLES[table[m.name] - 1] in r.message and
                      "gloss user add" in r.message,
                      "the refusal names the role and how: " + r.message)


def annotate(c, token, author=""):
    return call(c, "CreateAnnotation", token=token, author=author,
                annotation={"article_id": "art", "note": {"text": "n"},
                            "select": [{"quote": {"exact": "Taipé"}}]})


def test_authors(tcp, ipc, tokens):
    """The author is the token's user; another is refused unless admin,
    and then recorded as the admin acting."""
    a = annotate(tcp, tokens["annotator"])
    check(ok(a) and a.annotation.created_by == "u-annotator",
          "author is the token's user: %s" % a)
    r = annotate(tcp, tokens["annotator"], author="u-reviewer")
    check(err(r, "PERMISSION_DENIED", "AUTHOR_NOT_CALLER"),
          "annotator writing as another: %s" % r)
    r = annotate(tcp, tokens["curator"], author="someone")
    check(err(r, "PERMISSION_DENIED", "AUTHOR_NOT_CALLER"),
          "curator writing as another: %s" % r)
    b = annotate(tcp, tokens["admin"], author="bob")
    check(ok(b) and b.annotation.created_by == "bob", "admin as bob: %s" % b)
    ch = call(ipc, "ListChanges", since_seq=0, limit=1000)
    last = [x for x in ch.changes if x.annotation_id == b.annotation.id]
    check(last and last[0].author == "bob" and
          last[0].acting_admin == "u-admin",
          "the change records the admin who acted: %s" % last)
    r = gt.gloss("changes", "--since", str(last[0].seq - 1) if last else "0",
                 "--limit", "1", sock=ipc.url)
    check(r.returncode == 0 and b"\tbob\t" in r.stdout and
          b"(written by admin u-admin)" in r.stdout,
          "gloss changes says the admin wrote it: %s %s"
          % (r.stdout, r.stderr))
    # An annotator changes only its own annotations; a reviewer anyone's.
    mine = a.annotation
    theirs = b.annotation
    r = call(tcp, "DeleteAnnotation", token=tokens["annotator"],
             id=theirs.id)
    check(err(r, "PERMISSION_DENIED", "ANNOTATION_NOT_OWNED") and
          "bob" in r.message, "annotator deleting bob's: %s" % r)
    r = call(tcp, "UpdateAnnotation", token=tokens["annotator"],
             annotation={"id": theirs.id, "etag": theirs.etag,
                          "note": {"text": "mine now"}})
    check(err(r, "PERMISSION_DENIED", "ANNOTATION_NOT_OWNED"),
          "annotator updating bob's: %s" % r)
    r = call(tcp, "UpdateAnnotation", token=tokens["annotator"],
             annotation={"id": mine.id, "etag": mine.etag,
                          "note": {"text": "edited"}})
    check(ok(r), "annotator updating its own: %s" % r)
    r = call(tcp, "UpdateAnnotation", token=tokens["reviewer"],
             annotation={"id": theirs.id, "etag": theirs.etag,
                          "note": {"text": "reviewed"}})
    check(ok(r), "reviewer updating bob's: %s" % r)
    return mine


def test_request_ids(tcp, ipc, tokens):
    """Request ids are shown to their author and admins only."""
    annotate(tcp, tokens["annotator"])
    for who, sees_all in [("reader", False), ("annotator", False),
                          ("admin", True)]:
        ch = call(tcp, "ListChanges", token=tokens[who], since_seq=0,
                  limit=1000)
        shown = [x for x in ch.changes if x.request_id]
        others = [x for x in shown if x.author != "u-" + who]
        check(ok(ch) and (bool(others) if sees_all else not others),
              "%s sees others' request ids: %s" % (who, sees_all))
        if who == "annotator":
            check(any(x.author == "u-annotator" for x in shown),
                  "an author sees its own request ids")
    ex = call(tcp, "Export", token=tokens["reader"], format="jsonl")
    check(ok(ex), "reader may export: %s" % ex)


def test_revoke_rotate(tcp, sock, tokens):
    r = gt.gloss("user", "revoke", "u-annotator", sock=sock)
    check(r.returncode == 0 and b"REVOKED" in r.stdout,
          "user revoke: %s %s" % (r.stdout, r.stderr))
    r = call(tcp, "GetServerInfo", token=tokens["annotator"])
    check(err(r, "UNAUTHENTICATED", "TOKEN_INVALID"),
          "revoked on the next request: %s" % r)
    r = gt.gloss("user", "rotate", "u-reviewer", sock=sock)
    new = r.stdout.decode().strip()
    check(r.returncode == 0 and new.startswith("gls_") and
          new != tokens["reviewer"], "user rotate: %r" % new)
    r = call(tcp, "GetServerInfo", token=tokens["reviewer"])
    check(err(r, "UNAUTHENTICATED", "TOKEN_INVALID"),
          "the old token is refused after rotation: %s" % r)
    i = call(tcp, "GetServerInfo", token=new)
    check(ok(i) and i.caller.name == "u-reviewer", "the new one works")
    r = gt.gloss("user", "revoke", "nobody", sock=sock)
    check(r.returncode == gt.EXIT["NOT_FOUND"], "revoke nobody: %s"
          % r.stderr)
    return new


def test_token_file(tmp, tcp_url, tokens):
    path = os.path.join(tmp, "token")
    with open(path, "w") as f:
        f.write(tokens["reader"] + "\n")
    os.chmod(path, 0o644)
    r = gt.gloss("info", "--token-file", path, sock=tcp_url)
    check(r.returncode != 0 and b"chmod 600" in r.stderr,
          "a token file others can read is refused: %s" % r.stderr)
    os.chmod(path, 0o600)
    r = gt.gloss("info", "--token-file", path, sock=tcp_url)
    check(r.returncode == 0 and b"u-reader" in r.stdout,
          "a 0600 token file: %s %s" % (r.stdout, r.stderr))
    env = dict(os.environ, GLOSS_SOCKET=tcp_url, GLOSS_TOKEN=tokens["admin"])
    r = subprocess.run([gt.GLOSS, "info"], env=env, capture_output=True,
                       timeout=30)
    check(r.returncode == 0 and b"u-admin" in r.stdout,
          "GLOSS_TOKEN: %s" % r.stderr)


def test_brute_force(tcp, ipc, tmp, tokens):
    """Wrong tokens from one host: the first few UNAUTHENTICATED, then
    refused with a wait; logged by id, never the secret; everyone else
    (ipc, and colleagues on the same host with tokens of their own) still
    served.  Guesses at one user's token id are counted on their own: that
    token waits, the others do not."""
    secret = "0123456789abcdef" * 2 + "01234567"
    codes = []
    for i in range(12):
        wrong = "gls_%016x_%s" % (0xfeed0000 + i, secret)
        r = call(tcp, "GetServerInfo", token=wrong)
        codes.append(r.reason if isinstance(r, GlossError) else "OK")
    check(codes[:5] == ["TOKEN_INVALID"] * 5 and
          codes[-1] == "AUTH_RATE_LIMITED",
          "wrong tokens slowed: %s" % codes)
    r = call(tcp, "GetServerInfo", token=wrong)
    check(err(r, "RESOURCE_EXHAUSTED", "AUTH_RATE_LIMITED") and
          "retry in" in r.message, "the host's guesses wait: %s" % r)
    r = call(tcp, "GetServerInfo", token=tokens["admin"])
    check(ok(r) and r.caller.name == "u-admin",
          "a colleague's own token from that host is served: %s" % r)
    reader = tokens["reader"]
    aimed = reader[:-4] + ("0000" if not reader.endswith("0000") else "1111")
    codes = [getattr(call(tcp, "GetServerInfo", token=aimed), "reason",
                     "OK") for _ in range(7)]
    check(codes[:5] == ["TOKEN_INVALID"] * 5 and
          codes[-1] == "AUTH_RATE_LIMITED",
          "guesses at u-reader's id slowed: %s" % codes)
    r = call(tcp, "GetServerInfo", token=reader)
    check(err(r, "RESOURCE_EXHAUSTED", "AUTH_RATE_LIMITED"),
          "that id waits, even with its right secret: %s" % r)
    r = call(tcp, "GetServerInfo", token=tokens["curator"])
    check(ok(r), "another id from the host does not: %s" % r)
    i = call(ipc, "GetServerInfo")
    check(ok(i), "ipc still served during it")
    log = open(os.path.join(tmp, "data.log")).read()
    check("gls_00000000feed0000" in log and secret not in log,
          "the log names the token id, never the secret")
    time.sleep(2.2)


def test_init_admin(tmp):
    data = os.path.join(tmp, "init")
    r = subprocess.run([gt.GLOSSD, "--data", data, "--init-admin", "root1"],
                       capture_output=True, timeout=30)
    tok = r.stdout.decode().strip()
    check(r.returncode == 0 and re.fullmatch(r"gls_\w+_\w+", tok),
          "--init-admin prints a token: %r %s" % (tok, r.stderr))
    r = subprocess.run([gt.GLOSSD, "--data", data, "--init-admin", "root1"],
                       capture_output=True, timeout=30)
    check(r.returncode != 0 and b"exists" in r.stderr,
          "--init-admin twice: %s" % r.stderr)
    port = free_port()
    proc, sock = gt.start_glossd(tmp, "init",
                                 listen=("tcp://127.0.0.1:%d" % port,))
    with Client("tcp://127.0.0.1:%d" % port, proto=g) as c:
        i = call(c, "GetServerInfo", token=tok)
        check(ok(i) and i.caller.name == "root1" and
              i.caller.role == role_of("admin"), "the admin's token: %s" % i)
        check(err(call(c, "GetServerInfo"), "UNAUTHENTICATED"),
              "tokens are on after --init-admin")
    gt.stop_glossd(proc)


def test_team(tls_url, ca, sock):
    """A team on two machines, as loopback plays them: the admin (the OS
    user, on ipc) adds people; each works with the CLI over tls+tcp, their
    token in GLOSS_TOKEN and glossd's CA in GLOSS_TLS_CA."""
    tok = {}
    for name, role in (("ana", "annotator"), ("bob", "annotator"),
                       ("rui", "reviewer"), ("lea", "reader")):
        r = gt.gloss("user", "add", name, "--role", role, sock=sock)
        check(r.returncode == 0, "user add %s: %s" % (name, r.stderr))
        tok[name] = r.stdout.decode().strip()

    def run(name, *args):
        env = dict(os.environ, GLOSS_SOCKET=tls_url, GLOSS_TLS_CA=ca,
                   GLOSS_TOKEN=tok.get(name, ""))
        return subprocess.run([gt.GLOSS, *args], capture_output=True,
                              timeout=60, env=env)

    denied = gt.EXIT["PERMISSION_DENIED"]
    r = run("ana", "tag", "art", "--quote", "ترامب", "--label", "PERSON",
            "--json")
    ann = json.loads(r.stdout) if r.returncode == 0 else {}
    check(ann.get("createdBy") == "ana" and
          ann["spans"][0]["exact"] == "ترامب",
          "ana tags over TLS, as ana: %s %s" % (r.stdout, r.stderr))
    r = run("nobody", "annotations", "art")
    check(r.returncode == gt.EXIT["UNAUTHENTICATED"] and
          b"UNAUTHENTICATED" in r.stderr, "no token over TLS: %s" % r.stderr)
    r = run("ana", "tag", "art", "--quote", "Taipé", "--label", "GPE",
            "--as", "rui")
    check(r.returncode == denied and b"PERMISSION_DENIED" in r.stderr,
          "ana cannot write as rui: %s" % r.stderr)
    r = run("lea", "tag", "art", "--quote", "Taipé", "--label", "GPE")
    check(r.returncode == denied and b"annotator" in r.stderr,
          "a reader cannot tag, and is told the role: %s" % r.stderr)
    r = run("bob", "rm", ann.get("id", "0"))
    check(r.returncode == denied and b"ana" in r.stderr,
          "bob cannot delete ana's annotation: %s" % r.stderr)
    r = run("rui", "edit", ann.get("id", "0"), "--label", "NORP")
    check(r.returncode == 0, "rui, a reviewer, edits it: %s" % r.stderr)
    r = run("lea", "history", ann.get("id", "0"), "--json")
    revs = [json.loads(x) for x in r.stdout.splitlines()] \
        if r.returncode == 0 else []
    check([(x.get("updatedBy"), x.get("entity", {}).get("label"))
           for x in revs] == [("ana", "PERSON"), ("rui", "NORP")],
          "lea reads the history: ana, then rui: %s %s" % (revs, r.stderr))


def own_address():
    """This machine's address beyond loopback, or None (no route)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("198.51.100.1", 9))  # TEST-NET-2; UDP sends nothing
            addr = s.getsockname()[0]
        except OSError:
            return None
    return None if addr.startswith("127.") else addr


def test_beyond_loopback(tmp):
    """With no user yet, tokens-off trust is loopback's only: a glossd
    listening on every address (--insecure) answers a peer from this
    machine's own non-loopback address UNAUTHENTICATED, and loopback as
    before."""
    addr = own_address()
    if addr is None:
        print("test_beyond_loopback: skipped (no address beyond loopback)")
        return
    port = free_port()
    proc, sock = gt.start_glossd(
        tmp, "wide", listen=("tcp://0.0.0.0:%d" % port,),
        args=("--insecure",))
    with Client("tcp://%s:%d" % (addr, port), proto=g) as far, \
            Client("tcp://127.0.0.1:%d" % port, proto=g) as near:
        r = call(far, "GetServerInfo", author="mallory")
        check(err(r, "UNAUTHENTICATED", "TOKEN_REQUIRED") and
              addr in r.message and "--init-admin" in r.message,
              "a peer at %s without a token: %s" % (addr, r))
        r = call(far, "DeleteArticle", id="art", author="mallory")
        check(err(r, "UNAUTHENTICATED"), "and cannot write: %s" % r)
        r = call(near, "GetServerInfo", author="zoe")
        check(ok(r) and r.caller.name == "zoe",
              "loopback keeps tokens-off trust: %s" % r)
    gt.stop_glossd(proc)


def main():
    tmp = tempfile.mkdtemp(prefix="gloss-auth-")
    certs = tlscerts.make(tmp)
    port, tport = free_port(), free_port()
    tcp_url = "tcp://127.0.0.1:%d" % port
    tls_url = "tls+tcp://127.0.0.1:%d" % tport
    proc, sock = gt.start_glossd(
        tmp, listen=(tcp_url, tls_url),
        args=("--tls-cert", certs["server.crt"], "--tls-key",
              certs["server.key"]))
    with Client(sock, proto=g) as ipc, Client(tcp_url, proto=g) as tcp, \
            Client(tls_url, proto=g, ca=certs["ca.crt"]) as tls:
        test_tokens_off(ipc, tcp)
        test_bad_authors(ipc)
        tokens = add_users(sock)
        test_tokens_on(tcp, tokens)
        test_tokens_on(tls, tokens, ca=certs["ca.crt"])
        test_matrix(tcp, tokens)
        test_matrix(tls, tokens)
        test_authors(tcp, ipc, tokens)
        test_request_ids(tcp, ipc, tokens)
        test_token_file(tmp, tcp_url, tokens)
        tokens["reviewer"] = test_revoke_rotate(tcp, sock, tokens)
        test_team(tls_url, certs["ca.crt"], sock)
        test_brute_force(tcp, ipc, tmp, tokens)
    gt.stop_glossd(proc)
    test_init_admin(tmp)
    test_beyond_loopback(tmp)
    gt.finish(tmp)


main()
