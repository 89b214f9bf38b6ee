#!/usr/bin/python3
"""Reflection: a client with no .proto at hand, and no code of ours.

Asks a real glossd for its descriptors (GetServerInfo with
include_descriptors, sent as five hand-made bytes over SP spoken here on a
Unix socket), builds gloss.v1's message classes from the
FileDescriptorSet with Debian's python3-protobuf, and calls glossd with
them: every method of the service, a write read back, and the proto3 JSON
that Google's json_format makes of the replies compared with gloss call's,
for every kind of value (the one codec checked against another).

Needs /usr/bin/python3 with python3-protobuf (tools/install-deps).
"""
import base64
import json
import os
import shutil
import socket
import struct
import subprocess
import tempfile

from google.protobuf import descriptor_pb2, descriptor_pool, json_format
from google.protobuf import message_factory

import glosstest
from glosstest import check, start_glossd, stop_glossd

AR = "زار الرئيس جنسن هوانغ تايبيه. 👍🏽"


class SP:
    """An SP REQ peer (nng's wire protocol) on a Unix socket: the 8-byte
    handshake, then frames of a type byte (1) and a 64-bit length (IPC; TCP
    has no type byte); a request starts with a 32-bit id with its top bit
    set, which the reply repeats."""

    def __init__(self, url):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.settimeout(30)
        self.s.connect(url[len("ipc://"):])
        self.s.sendall(b"\0SP\0" + struct.pack(">HH", 0x30, 0))
        hello = self._recv(8)
        assert hello[:4] == b"\0SP\0" and hello[4:6] == b"\0\x31", hello
        self.id = 0

    def _recv(self, n):
        buf = b""
        while len(buf) < n:
            part = self.s.recv(n - len(buf))
            if not part:
                raise EOFError("glossd closed the connection")
            buf += part
        return buf

    def call(self, body):
        self.id += 1
        msg = struct.pack(">I", 0x80000000 | self.id) + body
        self.s.sendall(struct.pack(">BQ", 1, len(msg)) + msg)
        kind, n = struct.unpack(">BQ", self._recv(9))
        assert kind == 1, kind
        data = self._recv(n)
        assert data[:4] == msg[:4], "the reply to another request"
        return data[4:]


def varint(b, i):
    v = shift = 0
    while True:
        v |= (b[i] & 0x7f) << shift
        shift += 7
        i += 1
        if b[i - 1] < 0x80:
            return v, i


def field(b, number):
    """The bytes of length-delimited field `number` of message b."""
    i = 0
    while i < len(b):
        key, i = varint(b, i)
        wire = key & 7
        if wire == 0:
            _, i = varint(b, i)
        elif wire == 2:
            n, i = varint(b, i)
            if key >> 3 == number:
                return b[i:i + n]
            i += n
        else:
            i += {1: 8, 5: 4}[wire]
    return b""


def bootstrap(sp):
    """The descriptors, asked for with no class at hand: Request {
    get_server_info (16) { include_descriptors (1): true } }."""
    reply = sp.call(b"\x82\x01\x02\x08\x01")
    return field(field(reply, 16), 28)


def classes(blob):
    fds = descriptor_pb2.FileDescriptorSet.FromString(blob)
    pool = descriptor_pool.DescriptorPool()
    for f in fds.file:
        pool.Add(f)
    factory = message_factory.MessageFactory(pool)
    return fds, pool, lambda name: factory.GetPrototype(
        pool.FindMessageTypeByName("gloss.v1." + name))


def test_descriptors(fds, pool):
    check([f.name for f in fds.file] == ["gloss/v1/gloss.proto"],
          "one file, gloss/v1/gloss.proto: %r" % [f.name for f in fds.file])
    svc = pool.FindServiceByName("gloss.v1.Gloss")
    req = pool.FindMessageTypeByName("gloss.v1.Request")
    for m in svc.methods:
        arm = req.fields_by_name.get(
            "".join("_" + c.lower() if c.isupper() else c
                    for c in m.name).lstrip("_"))
        check(arm is not None and arm.message_type == m.input_type and
              arm.containing_oneof.name == "body",
              "%s has its Request arm" % m.name)
    check(len(svc.methods) >= 19, "every method: %d" % len(svc.methods))
    # The comments came along (--include_source_info).
    comments = [loc.leading_comments for f in fds.file
                for loc in f.source_code_info.location]
    check(any("reflection" in c for c in comments),
          "comments are in the descriptors")
    return svc


def call(sp, Request, Reply, arm):
    """Calls the method of Request arm `arm` with an empty request."""
    q = Request(author="reflect")
    getattr(q, arm).SetInParent()
    return Reply.FromString(sp.call(q.SerializeToString()))


def snake(name):
    return "".join("_" + c.lower() if c.isupper() else c
                   for c in name).lstrip("_")


def test_every_method(sp, svc, Request, Reply, Code):
    """Each method, with an empty request: glossd knows it (any status
    but UNIMPLEMENTED), and an OK reply is in the method's own arm."""
    for m in svc.methods:
        if m.name in ("ImportRecords", "DeleteArticle"):
            continue  # writes that would change the folder for the rest
        r = call(sp, Request, Reply, snake(m.name))
        code = Code.values_by_number[r.status.code].name
        check(code != "UNIMPLEMENTED", "%s reached: %s %s" %
              (m.name, code, r.status.message))
        if code == "OK":
            check(r.WhichOneof("body") == snake(m.name),
                  "%s answers in its arm" % m.name)


def gloss_call_json(method, request):
    r = glosstest.gloss("call", method, json.dumps(request), "--json")
    check(r.returncode == 0, "gloss call %s: %r" % (method, r.stderr))
    return json.loads(r.stdout) if r.returncode == 0 else None


def test_write_and_json(sp, Request, Reply):
    """A write by the built classes read back; then each reply as Google's
    json_format prints it is what gloss call prints."""
    q = Request(author="reflect", request_id="reflect-1")
    json_format.ParseDict({"article": {"id": "refl", "language": "ar",
                                       "title": "نص", "text": AR,
                                       "metadata": {"k": "v"}}},
                          q.create_article)
    r = Reply.FromString(sp.call(q.SerializeToString()))
    check(r.WhichOneof("body") == "create_article",
          "CreateArticle: %s" % r.status.message)
    q = Request(author="reflect", request_id="reflect-2")
    json_format.ParseDict({"annotation": {
        "articleId": "refl", "select": [{"quote": {"exact": "جنسن"}}],
        "factCorrection": {"corrected": "x", "verdict": "refuted",
                           "evidence": [{"url": "https://e.org/"}]}}},
        q.create_annotation)
    r = Reply.FromString(sp.call(q.SerializeToString()))
    check(r.WhichOneof("body") == "create_annotation",
          "CreateAnnotation: %s" % r.status.message)
    # The same request as json_format writes it, indented, with JSON names
    # and with proto names, is what gloss call reads.
    for proto_names in (False, True):
        text = json_format.MessageToJson(
            q.create_annotation, preserving_proto_field_name=proto_names)
        r2 = glosstest.gloss("call", "CreateAnnotation", text, "--json")
        made = json.loads(r2.stdout) if r2.returncode == 0 else {}
        check(made.get("annotation", {}).get("spans") ==
              json_format.MessageToDict(r.create_annotation)["annotation"]
              ["spans"], "json_format's request (proto names %s) read by "
              "gloss call: %r" % (proto_names, r2.stderr))
    cases = [("GetArticle", "get_article", {"id": "refl"}),
             ("ListAnnotations", "list_annotations", {"articleId": "refl"}),
             ("ListChanges", "list_changes", {"includeRecords": True}),
             ("GetStats", "get_stats", {}),
             ("GetServerInfo", "get_server_info",
              {"includeDescriptors": True})]
    for method, arm, request in cases:
        q = Request(author="reflect")
        getattr(q, arm).SetInParent()
        json_format.ParseDict(request, getattr(q, arm))
        r = Reply.FromString(sp.call(q.SerializeToString()))
        google = json_format.MessageToDict(getattr(r, arm))
        ours = gloss_call_json(method, request)
        for volatile in ("uptimeMs", "requestsServed", "recordsRead",
                         "connections", "fileSizeBytes", "mapUsedBytes"):
            google.pop(volatile, None)
            if ours:
                ours.pop(volatile, None)
        check(google == ours, "%s: json_format and gloss call agree:\n"
              "%s\n%s" % (method, json.dumps(google, ensure_ascii=False),
                          json.dumps(ours, ensure_ascii=False)))
    art = gloss_call_json("GetArticle", {"id": "refl"})
    check(art and art["article"]["text"] == AR, "the text reads back")
    blob = base64.b64decode(gloss_call_json(
        "GetServerInfo", {"includeDescriptors": True})["fileDescriptorSet"])
    return blob


def main():
    tmp = tempfile.mkdtemp(prefix="gloss-reflect-")
    proc, url = start_glossd(tmp)
    os.environ["GLOSS_SOCKET"] = url
    try:
        sp = SP(url)
        blob = bootstrap(sp)
        check(len(blob) > 1000, "descriptors: %d bytes" % len(blob))
        fds, pool, cls = classes(blob)
        svc = test_descriptors(fds, pool)
        Request, Reply = cls("Request"), cls("Reply")
        Code = pool.FindEnumTypeByName("gloss.v1.Code")
        test_every_method(sp, svc, Request, Reply, Code)
        again = test_write_and_json(sp, Request, Reply)
        check(again == blob, "the same descriptors through gloss call")
    finally:
        stop_glossd(proc)
        if glosstest.failures == 0:
            shutil.rmtree(tmp, ignore_errors=True)
    glosstest.finish(tmp)


if __name__ == "__main__":
    main()
