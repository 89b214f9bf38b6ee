"""gloss_client: calls glossd from Python, written from docs/protocol.md.

Standard library, Debian's python3-protobuf, and the module protoc makes
of the contract (gloss.v1.gloss_pb2: on sys.path, or made by load_proto()
with protoc from proto/gloss/v1/gloss.proto).  Nothing of the contract is
written here: methods, fields and codes come from the generated module.

    from gloss_client import Client, GlossError
    with Client("ipc:///srv/gloss/var/glossd.sock", author="ana") as c:
        a = c.call("create_annotation", annotation={
            "article_id": "003_d4609c45f16f6551",
            "select": [{"quote": {"exact": "ترامب", "nth": 1}}],
            "entity": {"label": "PERSON"}}).annotation
        for ann in c.items("list_annotations", article_id=a.article_id):
            ...
        for change in c.changes(since_seq=0):       # follows for ever
            ...
        c.export("brat", "dataset/")

Every call carries a request id (a UUID 4) and a deadline (the envelope's
timeout_ms and the socket's); UNAVAILABLE, and a connection lost before
the reply, are retried with backoff and the same request id until the
deadline (glossd applies a write once per id); every other status is
raised as GlossError.  One Client per thread.
"""
import atexit
import os
import random
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import uuid

import gloss_export
import gloss_sp
from gloss_sp import ProtocolError

__all__ = ["Client", "GlossError", "ProtocolError", "Feed", "load_proto"]

MAX_REQUEST = 1 << 20   # GetServerInfo.max_request_bytes: larger is refused
FIRST_DIAL_S = 3.0      # a client that never reached glossd gives up then
BACKOFF_S = (0.05, 1.0)  # first and longest pause between attempts
POLL_MARGIN_S = 10.0    # a long poll's deadline: wait_ms and this

_proto = None


def load_proto(proto_dir=None):
    """The gloss.v1 module: gloss.v1.gloss_pb2 if importable, else made by
    protoc from proto_dir ($GLOSS_PROTO, else the checkout's proto/)."""
    global _proto
    if _proto is not None:
        return _proto
    try:
        from gloss.v1 import gloss_pb2
    except ImportError:
        gloss_pb2 = _protoc(proto_dir)
    _proto = gloss_pb2
    return _proto


def _protoc(proto_dir):
    here = os.path.dirname(os.path.abspath(__file__))
    proto_dir = proto_dir or os.environ.get("GLOSS_PROTO") or \
        os.path.join(here, "..", "..", "proto")
    out = tempfile.mkdtemp(prefix="gloss-py-")
    atexit.register(shutil.rmtree, out, True)
    subprocess.run(["protoc", "--python_out=" + out, "-I" + proto_dir,
                    "gloss/v1/gloss.proto"], check=True)
    sys.path.insert(0, out)
    from gloss.v1 import gloss_pb2
    return gloss_pb2


class GlossError(Exception):
    """A call that did not succeed.  code: the gloss.v1.Code value; name:
    its name ("NOT_FOUND"); message: a sentence for a person; status: the
    Reply's Status (None when the client gave up on its own: no reply in
    time, nothing listening, a request too large to send), with whatever
    else the contract puts there; request_id: the call's.  From the
    Status, when it has them: details (the FieldViolations), reason (the
    name of its Reason, for a program to switch on; "" if none) and
    metadata (a dict)."""

    def __init__(self, code, message, status=None, request_id=""):
        g = load_proto()
        self.code = code
        self.name = _enum_name(g.Status.DESCRIPTOR.fields_by_name["code"],
                               code)
        self.message = message
        self.status = status
        self.request_id = request_id
        self.details, self.reason, self.metadata = [], "", {}
        if status is not None:
            self.details = list(status.details)
            self.reason = _status_reason(status)
            if "metadata" in status.DESCRIPTOR.fields_by_name:
                self.metadata = dict(status.metadata)
        super().__init__("%s (%s)" % (message, self.name))


def _enum_name(field, number):
    v = field.enum_type.values_by_number.get(number)
    return v.name if v is not None else str(number)


def _status_reason(status):
    f = status.DESCRIPTOR.fields_by_name.get("reason")
    if f is None or not status.reason:
        return ""
    return _enum_name(f, status.reason) if f.enum_type else str(status.reason)


class Client:
    """Calls to one glossd.  url: ipc://PATH, tcp://HOST:PORT or
    tls+tcp://HOST:PORT; author: who makes changes (the envelope's author);
    timeout: seconds a call may take, retries included, unless the call
    says otherwise.  tls+tcp://: ca, the CA file glossd's certificate is
    verified against (None: the system's); cert and key, a client
    certificate.  token: the caller's token (gls_..., sent in every
    request; None: $GLOSS_TOKEN if set, docs/operations.md)."""

    def __init__(self, url, author="", timeout=30.0, proto=None, ca=None,
                 cert=None, key=None, token=None):
        gloss_sp.parse_url(url)  # ValueError now rather than at a call
        self.tls = gloss_sp.tls_context(ca, cert, key) \
            if gloss_sp.is_tls(url) else None
        self.g = proto or load_proto()
        self.url = url
        self.author = author
        self.token = os.environ.get("GLOSS_TOKEN", "") if token is None \
            else token
        self.timeout = timeout
        self.conn = None
        self.connected_once = False
        self.dial_since = None  # the first failed dial, until one succeeds
        self.attempts = 0  # requests sent by the last call (retries + 1)
        body = self.g.Request.DESCRIPTOR.oneofs_by_name["body"]
        self.methods = {f.name: f for f in body.fields}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    # ------------------------------------------------------------ calls

    def method(self, name):
        """The Request arm of a method: "get_article" or "GetArticle"."""
        f = self.methods.get(name)
        if f is None:
            for arm in self.methods.values():
                if arm.message_type.name == name + "Request":
                    return arm
            raise ValueError("gloss.v1 has no method %r" % name)
        return f

    def request(self, method, body=None, **fields):
        """A Request for method, its arm body (a message) or fields (as
        the message's constructor takes them: nested dicts, enum names)."""
        arm = self.method(method)
        q = self.g.Request(author=self.author, token=self.token)
        msg = getattr(q, arm.name)
        msg.SetInParent()
        if body is not None:
            msg.CopyFrom(body)
        if fields:
            msg.MergeFrom(type(msg)(**fields))
        return q

    def call(self, method, body=None, timeout=None, request_id=None,
             **fields):
        """Calls method; returns the reply's arm (e.g. a
        GetArticleResponse), or raises GlossError."""
        q = self.request(method, body, **fields)
        if request_id:
            q.request_id = request_id
        return getattr(self.send(q, timeout), q.WhichOneof("body"))

    def send(self, q, timeout=None):
        """Sends the Request q (a request_id is set if it has none) and
        returns its Reply, status OK (self.attempts: how many times it was
        sent).  Raises GlossError for any other status."""
        if not q.request_id:
            q.request_id = str(uuid.uuid4())
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        pause, why = BACKOFF_S[0], "no attempt"
        self.attempts = 0
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise GlossError(self.g.Code.Value("DEADLINE_EXCEEDED"),
                                 "no reply from glossd within %.3g s (%s)"
                                 % (timeout, why), None, q.request_id)
            reply, why = self._attempt(q, left)
            if reply is not None:
                break
            time.sleep(min(pause * random.uniform(0.5, 1.0),
                           max(0.0, deadline - time.monotonic())))
            pause = min(2 * pause, BACKOFF_S[1])
        if reply.status.code != self.g.Code.Value("OK"):
            raise GlossError(reply.status.code, reply.status.message,
                             reply.status, q.request_id)
        return reply

    def _attempt(self, q, left):
        """One try: (Reply, None) for any status but UNAVAILABLE, or
        (None, why) to try again."""
        q.timeout_ms = max(1, int(left * 1000))
        packed = q.SerializeToString()
        if len(packed) > MAX_REQUEST:
            raise GlossError(self.g.Code.Value("RESOURCE_EXHAUSTED"),
                             "the request is %d bytes, over glossd's limit "
                             "of %d; it was not sent"
                             % (len(packed), MAX_REQUEST), None,
                             q.request_id)
        try:
            if self.conn is None:
                self._dial(left)
            self.attempts += 1
            rid = self.conn.send(packed, left)
            raw = self.conn.recv(rid, max(0.001, left))
        except OSError as e:
            # Lost or timed out: the request may or may not have been
            # applied, so it is sent again with the same id.
            self.close()
            return None, "%s: %s" % (self.url, e)
        except ProtocolError:
            self.close()
            raise
        reply = self.g.Reply()
        try:
            reply.ParseFromString(raw)
        except Exception as e:
            self.close()
            raise ProtocolError("a reply that is not a gloss.v1.Reply: %s"
                                % e) from None
        if reply.status.code == self.g.Code.Value("UNAVAILABLE"):
            return None, reply.status.message
        return reply, None

    def _dial(self, left):
        try:
            self.conn = gloss_sp.Connection(self.url, left, self.tls)
            self.connected_once = True
        except ssl.SSLError as e:
            # A certificate refused (or TLS spoken to a plaintext
            # listener) does not pass by trying again.
            raise GlossError(self.g.Code.Value("UNAUTHENTICATED"),
                             "TLS with %s failed: %s (is glossd's CA given "
                             "as ca=? is it a tls+tcp:// listener? does it "
                             "require a client certificate?)"
                             % (self.url, e.reason or e)) from None
        except OSError as e:
            # Nothing listens: while glossd restarts that passes, but a
            # client that never reached it says so soon.
            now = time.monotonic()
            self.dial_since = self.dial_since or now
            if not self.connected_once and \
                    now - self.dial_since > FIRST_DIAL_S:
                raise GlossError(self.g.Code.Value("UNAVAILABLE"),
                                 "nothing answers at %s: %s (is glossd "
                                 "running?)" % (self.url, e)) from None
            raise

    # ------------------------------------------------------------ pages

    def pages(self, method, body=None, timeout=None, **fields):
        """Every page of a paged method, one reply arm at a time, following
        next_page_token with the same filters."""
        q = self.request(method, body, **fields)
        arm = getattr(q, q.WhichOneof("body"))
        while True:
            q.request_id = ""
            page = getattr(self.send(q, timeout), q.WhichOneof("body"))
            yield page
            if not page.next_page_token:
                return
            arm.page_token = page.next_page_token

    def items(self, method, body=None, field=None, timeout=None, **fields):
        """Every item of a paged list (the response's one repeated field,
        or field), over all pages."""
        for page in self.pages(method, body, timeout, **fields):
            if field is None:
                field = _repeated_field(page)
            yield from getattr(page, field)

    def changes(self, since_seq=0, follow=True, wait_ms=25000, **fields):
        """The change feed after since_seq, as a Feed (an iterator of
        Change whose .since_seq is the last one yielded)."""
        return Feed(self, since_seq, follow, wait_ms, fields)

    def export(self, fmt, out, progress=None, timeout=None, **filters):
        """Writes an export to out (a file; for brat a new or empty folder),
        through out + ".part", renamed when complete.  Returns an
        ExportResult.  progress(page), if given, sees every page."""
        return gloss_export.export(self, fmt, out, progress, timeout,
                                   filters)


def _repeated_field(page):
    rep = [f.name for f in page.DESCRIPTOR.fields
           if f.label == f.LABEL_REPEATED]
    if len(rep) != 1:
        raise ValueError("%s has %d repeated fields: say which (field=)"
                         % (page.DESCRIPTOR.name, len(rep)))
    return rep[0]


class Feed:
    """The change feed from a cursor: long polls (wait_ms) with since_seq
    the last change seen.  With follow, it never ends; without, it ends
    at the newest change.  After an error the caller may iterate again:
    it goes on from .since_seq, so no change is skipped or repeated."""

    def __init__(self, client, since_seq, follow, wait_ms, fields):
        self.client = client
        self.since_seq = since_seq
        self.follow = follow
        self.wait_ms = wait_ms
        self.fields = fields
        self.buffered = []

    def __iter__(self):
        return self

    def __next__(self):
        while not self.buffered:
            wait = self.wait_ms if self.follow else 0
            page = self.client.call(
                "list_changes", since_seq=self.since_seq, wait_ms=wait,
                timeout=wait / 1000 + POLL_MARGIN_S, **self.fields)
            self.buffered = list(page.changes)
            if not self.buffered and not self.follow:
                raise StopIteration
        change = self.buffered.pop(0)
        self.since_seq = change.seq
        return change
