"""gloss.v1 from Python for the tests, as any other program would speak it:
the module protoc generates from the contract, and SP over TCP by hand
(docs/protocol.md).  Standard library and python3-protobuf only.
"""
import importlib
import os
import socket
import struct
import subprocess
import sys
import uuid

SP_REQ, SP_REP = 0x30, 0x31


def load(tmp):
    """Generates gloss_pb2 into tmp and returns the module."""
    subprocess.run(["protoc", "--python_out=" + tmp,
                    "-I" + os.environ["GLOSS_PROTO"], "gloss/v1/gloss.proto"],
                   check=True)
    sys.path.insert(0, tmp)
    return importlib.import_module("gloss.v1.gloss_pb2")


class Glossd:
    """One REQ connection over SP/TCP; call() returns every Reply, OK or
    not, and raw() its bytes too."""

    def __init__(self, pb, port):
        self.pb = pb
        self.sock = socket.create_connection(("127.0.0.1", port))
        hdr = b"\x00SP\x00" + struct.pack(">H", SP_REQ) + b"\x00\x00"
        self.sock.sendall(hdr)
        want = b"\x00SP\x00" + struct.pack(">H", SP_REP) + b"\x00\x00"
        if self._read(8) != want:
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

    def raw(self, request, timeout_s=60):
        """Sends a Request; returns the reply's packed bytes."""
        if not request.request_id:
            request.request_id = str(uuid.uuid4())
        rid = struct.pack(">I", 0x80000000 | self.next_id)
        self.next_id += 1
        body = rid + request.SerializeToString()
        self.sock.settimeout(timeout_s)
        self.sock.sendall(struct.pack(">Q", len(body)) + body)
        while True:
            (n,) = struct.unpack(">Q", self._read(8))
            msg = self._read(n)
            if msg[:4] == rid:
                return msg[4:]

    def call(self, request, timeout_s=60):
        return self.pb.Reply.FromString(self.raw(request, timeout_s))


def start(tmp, glossd, name="data"):
    """A glossd on tmp/name listening on ipc and a free TCP port; returns
    (process, ipc URL, port)."""
    import time
    from glosstest import _die_with_parent, gloss
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    data = os.path.join(tmp, name)
    ipc = "ipc://" + os.path.join(data, "glossd.sock")
    log = open(os.path.join(tmp, name + ".log"), "ab")
    proc = subprocess.Popen([glossd, "--data", data, "--listen", ipc,
                             "--listen", "tcp://127.0.0.1:%d" % port],
                            stderr=log, preexec_fn=_die_with_parent)
    for _ in range(250):
        if os.path.exists(os.path.join(data, "glossd.sock")) and \
                gloss("info", sock=ipc).returncode == 0:
            return proc, ipc, port
        time.sleep(0.02)
    raise SystemExit("glossd did not start; see " + log.name)
