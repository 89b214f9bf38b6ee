#!/usr/bin/python3
"""Follow glossd's change feed from Python, with no SP library.

Needs only the protobuf package (Debian: python3-protobuf) and the module
protoc generates from the contract:

    protoc --python_out=OUT -Iproto proto/gloss/v1/gloss.proto
    PYTHONPATH=OUT docs/examples/feed.py tcp://127.0.0.1:7070 [SINCE [COUNT]]

glossd must listen on tcp:// (glossd --listen tcp://127.0.0.1:7070): SP over
TCP is a small framing, written out below.  Prints one line per change and
stops after COUNT changes (default: never).
"""
import socket
import struct
import sys
import uuid

from gloss.v1 import gloss_pb2 as g

SP_REQ, SP_REP = 0x30, 0x31  # SP protocol numbers of REQ and REP


class Glossd:
    """One REQ connection to glossd over SP/TCP."""

    def __init__(self, url):
        host, port = url.removeprefix("tcp://").rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)))
        self.sock.sendall(b"\x00SP\x00" + struct.pack(">H", SP_REQ) + b"\x00\x00")
        if self._read(8) != b"\x00SP\x00" + struct.pack(">H", SP_REP) + b"\x00\x00":
            raise RuntimeError("the peer is not an SP REP socket")
        self.next_id = 1

    def _read(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("glossd closed the connection")
            buf += chunk
        return buf

    def call(self, request, timeout_s=60):
        """Sends a gloss.v1.Request; returns the Reply or raises."""
        if not request.request_id:
            request.request_id = str(uuid.uuid4())
        rid = struct.pack(">I", 0x80000000 | self.next_id)  # REQ's header
        self.next_id += 1
        body = rid + request.SerializeToString()
        self.sock.settimeout(timeout_s)
        self.sock.sendall(struct.pack(">Q", len(body)) + body)
        while True:
            (n,) = struct.unpack(">Q", self._read(8))
            msg = self._read(n)
            if msg[:4] == rid:  # a reply to an older request is skipped
                break
        reply = g.Reply.FromString(msg[4:])
        if reply.status.code != g.OK:
            raise RuntimeError("%s: %s" % (g.Code.Name(reply.status.code),
                                           reply.status.message))
        return reply


def main():
    url = sys.argv[1]
    since = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    count = int(sys.argv[3]) if len(sys.argv) > 3 else -1
    glossd = Glossd(url)
    while count != 0:
        q = g.Request()
        q.list_changes.since_seq = since
        q.list_changes.wait_ms = 25000  # a long poll: no busy loop
        for ch in glossd.call(q).list_changes.changes:
            print(ch.seq, ch.author, g.Subject.Name(ch.subject),
                  g.Operation.Name(ch.operation), ch.article_id,
                  ch.annotation_id, ch.revision, flush=True)
            since = ch.seq
            count -= 1
            if count == 0:
                break


if __name__ == "__main__":
    main()
