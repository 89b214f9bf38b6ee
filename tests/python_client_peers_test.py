#!/usr/bin/python3
"""client/python against peers that play glossd's side of SP by hand, as
docs/protocol.md describes it, on ipc:// and tcp://, to make what a real
glossd does only by chance: UNAVAILABLE several times, a hang-up after a
request, no reply, a greeting of the wrong protocol, export chunk paths
that would write outside the folder.  Checks the retries (the same
request id, backoff, never another code), the deadlines (the envelope's
timeout_ms and the client's own), and the export's path checks.
"""
import os
import shutil
import socket
import struct
import sys
import tempfile
import threading
import time
import uuid

import glosstest as gt
from glosstest import check
import gloss_client
import gloss_sp
from gloss_client import Client, GlossError, ProtocolError

g = gloss_client.load_proto(os.environ["GLOSS_PROTO"])
HELLO_REQ = b"\x00SP\x00\x00\x30\x00\x00"
HELLO_REP = b"\x00SP\x00\x00\x31\x00\x00"


class Peer(threading.Thread):
    """A listener that greets as REP and hands each request to
    answer(request, n) (n: requests so far, from 0), which returns a
    Reply, "hangup", or None (no answer).  Records (time, request id
    of SP, Request) of every request, and every framing fault."""

    def __init__(self, url, answer, hello=HELLO_REP):
        super().__init__(daemon=True)
        family, addr, self.ipc = gloss_sp.parse_url(url)
        self.lsock = socket.socket(family, socket.SOCK_STREAM)
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(addr)
        self.lsock.listen(8)
        self.answer, self.hello = answer, hello
        self.seen, self.faults, self.conns = [], [], 0
        self.start()

    def run(self):
        while True:
            try:
                conn, _ = self.lsock.accept()
            except OSError:
                return
            self.conns += 1
            threading.Thread(target=self.serve, args=(conn,),
                             daemon=True).start()

    def read(self, conn, n):
        buf = b""
        while len(buf) < n:
            k = conn.recv(n - len(buf))
            if not k:
                raise EOFError
            buf += k
        return buf

    def frame(self, payload):
        head = struct.pack(">Q", len(payload))
        return (b"\x01" + head if self.ipc else head) + payload

    def serve(self, conn):
        try:
            conn.sendall(self.hello)
            if self.read(conn, 8) != HELLO_REQ:
                self.faults.append("not a REQ hello")
            while True:
                head = self.read(conn, 9 if self.ipc else 8)
                if self.ipc and head[0] != 1:
                    self.faults.append("IPC type byte %d" % head[0])
                (n,) = struct.unpack(">Q", head[-8:])
                body = self.read(conn, n)
                if not body[0] & 0x80:
                    self.faults.append("no request id")
                q = g.Request.FromString(body[4:])
                n = len(self.seen)
                self.seen.append((time.monotonic(), body[:4], q))
                r = self.answer(q, n)
                if r == "hangup":
                    conn.close()
                    return
                if r is not None:
                    conn.sendall(self.frame(body[:4] + r.SerializeToString()))
        except (EOFError, OSError):
            pass
        finally:
            conn.close()

    def stop(self):
        self.lsock.close()


def status(code, message="", field=""):
    r = g.Reply()
    r.status.code = code
    r.status.message = message
    if field:
        r.status.details.add(field=field, description=message)
    return r


def info_reply():
    r = status(g.Code.Value("OK"))
    r.get_server_info.protocol = "gloss.v1"
    return r


class Urls:
    """A fresh URL per peer, alternating ipc and tcp."""

    def __init__(self, tmp):
        self.tmp, self.n = tmp, 0

    def next(self):
        self.n += 1
        if self.n % 2:
            return "ipc://" + os.path.join(self.tmp, "peer-%d.sock" % self.n)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return "tcp://127.0.0.1:%d" % s.getsockname()[1]


def test_unavailable(u):
    """UNAVAILABLE three times, then OK: four sends of one request id,
    pauses that grow, timeout_ms that shrinks."""
    for _ in range(2):
        url = u.next()
        unavailable = status(g.Code.Value("UNAVAILABLE"), "stopping")
        p = Peer(url, lambda q, n: unavailable if n < 3 else info_reply())
        with Client(url, timeout=5) as c:
            at = time.monotonic()
            r = c.call("get_server_info")
        ids = {q.request_id for _, _, q in p.seen}
        gaps = [b[0] - a[0] for a, b in zip(p.seen, p.seen[1:])]
        tms = [q.timeout_ms for _, _, q in p.seen]
        check(r.protocol == "gloss.v1" and c.attempts == 4 and
              len(p.seen) == 4 and len(ids) == 1,
              "%s: UNAVAILABLE x3 then OK: %d sends, ids %s"
              % (url, len(p.seen), ids))
        check(uuid.UUID(ids.pop()).version == 4, "the id is a UUID 4")
        check(0.02 <= gaps[0] <= 0.5 and gaps[2] > gaps[0],
              "backoff: %s" % ["%.3f" % x for x in gaps])
        check(tms[0] <= 5000 and tms == sorted(tms, reverse=True) and
              tms[-1] < 5000 - 1000 * (p.seen[-1][0] - at) + 50,
              "timeout_ms is what is left of the deadline: %s" % tms)
        check(p.faults == [], "%s: framing as glossd wants it: %s"
              % (url, p.faults))
        p.stop()


def test_no_retry(u):
    """Every code but UNAVAILABLE is raised at once, with its message and
    details."""
    for name in ("INVALID_ARGUMENT", "NOT_FOUND", "ABORTED", "INTERNAL",
                 "RESOURCE_EXHAUSTED", "DEADLINE_EXCEEDED",
                 "FAILED_PRECONDITION", "DATA_LOSS"):
        url = u.next()
        code = g.Code.Value(name)
        p = Peer(url, lambda q, n: status(code, "it is %s: fix x" % name,
                                          "get_article.id"))
        with Client(url, timeout=5) as c:
            try:
                c.call("get_article", id="x")
                check(False, name + " raised")
            except GlossError as e:
                check(e.code == code and e.name == name and
                      e.message == "it is %s: fix x" % name and
                      e.details[0].field == "get_article.id" and
                      len(p.seen) == 1 and c.attempts == 1,
                      "%s: raised once: %r, %d sends" % (name, e,
                                                         len(p.seen)))
        p.stop()


def test_hangup(u):
    """A connection lost after the request: sent again, same id, on a
    new connection."""
    url = u.next()
    p = Peer(url, lambda q, n: "hangup" if n == 0 else info_reply())
    with Client(url, timeout=5) as c:
        c.call("get_server_info")
    check(len(p.seen) == 2 and p.conns == 2 and
          p.seen[0][2].request_id == p.seen[1][2].request_id,
          "after a hang-up: %d sends on %d connections"
          % (len(p.seen), p.conns))
    p.stop()


def test_deadline(u):
    """No answer: DEADLINE_EXCEEDED when the call's time is up, the
    envelope saying the same deadline."""
    url = u.next()
    p = Peer(url, lambda q, n: None)
    with Client(url, timeout=30) as c:
        at = time.monotonic()
        try:
            c.call("get_server_info", timeout=0.8)
            check(False, "no answer, and yet a reply")
        except GlossError as e:
            took = time.monotonic() - at
            check(e.name == "DEADLINE_EXCEEDED" and e.status is None and
                  0.8 <= took < 1.5 and len(p.seen) == 1 and
                  500 < p.seen[0][2].timeout_ms <= 800,
                  "deadline: %r after %.2f s, timeout_ms %s"
                  % (e, took, [q.timeout_ms for _, _, q in p.seen]))
    p.stop()


def test_hello(u):
    """A peer that greets as REQ, not REP: refused, not retried."""
    url = u.next()
    p = Peer(url, lambda q, n: info_reply(), hello=HELLO_REQ)
    with Client(url, timeout=5) as c:
        try:
            c.call("get_server_info")
            check(False, "a REQ peer taken for glossd")
        except ProtocolError as e:
            check("SP REP" in str(e) and p.conns == 1, "hello: %s" % e)
    p.stop()


def test_nothing_there(u):
    """Nothing listens, and never did: UNAVAILABLE after about 3 s."""
    url = u.next()
    with Client(url, timeout=20) as c:
        at = time.monotonic()
        try:
            c.call("get_server_info")
            check(False, "a reply from nowhere")
        except GlossError as e:
            took = time.monotonic() - at
            check(e.name == "UNAVAILABLE" and "nothing answers" in e.message
                  and 3 <= took < 5, "nothing there: %r in %.1f s"
                  % (e, took))


def export_peer(url, chunks):
    def answer(q, n):
        r = status(g.Code.Value("OK"))
        for path, data in chunks:
            r.export.chunks.add(path=path, data=data)
        r.export.articles = 1
        return r
    return Peer(url, answer)


def test_export_paths(u, tmp):
    """Chunk paths that leave the folder, a file that comes back, a name
    for a one-file format: refused, nothing written, no OUT.part left."""
    cases = [("brat", [("a.txt", b"x"), ("../evil", b"y")]),
             ("brat", [("/tmp/evil", b"y")]),
             ("brat", [(".hidden", b"y")]),
             ("brat", [("a\nb", b"y")]),
             ("brat", [("a\\b", b"y")]),
             ("brat", [("a.txt", b"x"), ("a.ann", b"y"), ("a.txt", b"z")]),
             ("jsonl", [("x.jsonl", b"{}")])]
    for i, (fmt, chunks) in enumerate(cases):
        url = u.next()
        p = export_peer(url, chunks)
        out = os.path.join(tmp, "export-%d" % i)
        with Client(url, timeout=5) as c:
            try:
                c.export(fmt, out)
                check(False, "%s accepted" % chunks)
            except ProtocolError as e:
                left = [n for n in os.listdir(tmp) if n.startswith(
                    "export-%d" % i) or n == "evil"]
                check(left == [], "%s: %s; left %s" % (chunks, e, left))
        p.stop()
    url = u.next()
    p = export_peer(url, [("a.txt", b"text"), ("a.ann", b"T1\tX 0 1\tt\n")])
    with Client(url, timeout=5) as c:
        r = c.export("brat", os.path.join(tmp, "good"))
    check(sorted(os.listdir(os.path.join(tmp, "good"))) == ["a.ann", "a.txt"]
          and r.articles == 1 and r.bytes == 15, "plain names are written")
    p.stop()


def main():
    tmp = tempfile.mkdtemp(prefix="gloss-pypeers-")
    u = Urls(tmp)
    try:
        test_unavailable(u)
        test_no_retry(u)
        test_hangup(u)
        test_deadline(u)
        test_hello(u)
        test_nothing_there(u)
        test_export_paths(u, tmp)
    finally:
        shutil.rmtree(tmp, True)
    gt.finish(tmp)


if __name__ == "__main__":
    main()
