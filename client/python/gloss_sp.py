"""gloss_sp: one SP REQ connection to glossd over ipc://, tcp:// or
tls+tcp:// (the tcp:// bytes inside TLS), framed by hand as
docs/protocol.md ("SP framing, byte by byte") describes it.  Standard
library only; it knows nothing of protobuf.

    conn = gloss_sp.Connection("tcp://127.0.0.1:7411", timeout=5)
    tls = gloss_sp.tls_context(ca="ca.crt")   # for tls+tcp://
    conn = gloss_sp.Connection("tls+tcp://localhost:7412", 5, tls=tls)
    rid = conn.send(payload)            # the SP request id it used
    reply = conn.recv(rid, timeout=5)   # the reply's payload (bytes)
    conn.close()

Errors: OSError (socket.timeout included) for what the network did, and
ProtocolError for a peer that does not speak SP REP as glossd does.  After
either, the connection is closed and must not be used again.
"""
import socket
import ssl
import struct

HELLO_REQ = b"\x00SP\x00\x00\x30\x00\x00"  # SP header, protocol REQ (0x30)
HELLO_REP = b"\x00SP\x00\x00\x31\x00\x00"  # ... and REP (0x31), glossd's
IPC_USER_MESSAGE = 1    # IPC's type byte before every length
MAX_MESSAGE = 4 << 20   # glossd's replies are < 1 MiB; room to spare


class ProtocolError(Exception):
    """The peer broke the SP framing or the gloss.v1 contract."""


def parse_url(url):
    """(family, address, is_ipc) of ipc:///path or tcp://host:port
    (tcp://[::1]:port for IPv6); ValueError for anything else."""
    if url.startswith("ipc://"):
        path = url[len("ipc://"):]
        if not path:
            raise ValueError("ipc:// needs a path: ipc:///path/glossd.sock")
        return socket.AF_UNIX, path, True
    for scheme in ("tcp://", "tls+tcp://"):
        if not url.startswith(scheme):
            continue
        host, sep, port = url[len(scheme):].rpartition(":")
        if not sep or not host or not port.isdigit():
            raise ValueError("not %sHOST:PORT: %r" % (scheme, url))
        if host.startswith("[") and host.endswith("]"):
            return socket.AF_INET6, (host[1:-1], int(port)), False
        return socket.AF_INET, (host, int(port)), False
    raise ValueError("glossd listens on ipc://, tcp:// and tls+tcp:// only, "
                     "not %r" % url)


def is_tls(url):
    return url.startswith("tls+tcp://")


def tls_context(ca=None, cert=None, key=None):
    """The TLS of tls+tcp://: glossd's certificate is verified against the
    CA file ca (None: the system's CAs) and must name the URL's host; cert
    and key: a client certificate (PEM files).  TLS 1.2 at least."""
    ctx = ssl.create_default_context(cafile=ca)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if cert:
        ctx.load_cert_chain(cert, key)
    return ctx


class Connection:
    """A connected, greeted SP REQ socket.  Not for several threads."""

    def __init__(self, url, timeout, tls=None):
        """tls: an ssl.SSLContext (tls_context()) for tls+tcp://."""
        family, address, self.ipc = parse_url(url)
        self.url = url
        self.next_id = 1
        if family == socket.AF_UNIX:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        else:
            self.sock = socket.socket(family, socket.SOCK_STREAM)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            self.sock.settimeout(timeout)
            self.sock.connect(address)
            if is_tls(url):
                # The handshake, bounded by timeout like the rest;
                # ssl.SSLError (an OSError) if it fails.
                self.sock = (tls or tls_context()).wrap_socket(
                    self.sock, server_hostname=address[0])
            # Both sides send their header at once; then each checks the
            # other's (sp-tcp-mapping-01; nng's ipc is the same here).
            self.sock.sendall(HELLO_REQ)
            hello = self._read(8)
            if hello != HELLO_REP:
                raise ProtocolError("%s did not answer as an SP REP socket "
                                    "(its header: %s)" % (url, hello.hex()))
        except BaseException:
            self.sock.close()
            raise

    def close(self):
        self.sock.close()

    def _read(self, n):
        buf = bytearray(n)
        view, got = memoryview(buf), 0
        while got < n:
            k = self.sock.recv_into(view[got:])
            if k == 0:
                raise ConnectionResetError("glossd closed the connection")
            got += k
        return bytes(buf)

    def _head(self, n):
        length = struct.pack(">Q", n)
        return bytes([IPC_USER_MESSAGE]) + length if self.ipc else length

    def send(self, payload, timeout=None):
        """Sends one request: a new 4-byte request id (top bit set), then
        payload.  Returns the id, which the reply will start with."""
        rid = struct.pack(">I", 0x80000000 | self.next_id)
        self.next_id = self.next_id % 0x7FFFFFFF + 1
        body = rid + payload
        if timeout is not None:
            self.sock.settimeout(timeout)
        self.sock.sendall(self._head(len(body)) + body)
        return rid

    def recv(self, rid, timeout=None):
        """The payload of the reply to request rid; replies to earlier
        requests (given up on) are skipped."""
        if timeout is not None:
            self.sock.settimeout(timeout)
        while True:
            head = self._read(9 if self.ipc else 8)
            if self.ipc and head[0] != IPC_USER_MESSAGE:
                raise ProtocolError("an IPC frame of type %d, not 1"
                                    % head[0])
            (n,) = struct.unpack(">Q", head[-8:])
            if n < 4 or n > MAX_MESSAGE:
                raise ProtocolError("a reply of %d bytes" % n)
            msg = self._read(n)
            if msg[:4] == rid:
                return msg[4:]
            if not msg[0] & 0x80:
                raise ProtocolError("a reply without an SP request id")
