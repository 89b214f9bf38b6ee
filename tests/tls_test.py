"""TLS on the network (issue 12): a real glossd on tls+tcp://127.0.0.1 with
certificates made here by openssl (tlscerts.py), the CLI (nng's TLS) and
the Python client (ssl) as its clients; and the listener policy and file
modes.  Each part says the fault it holds glossd to.
"""
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time

import glosstest as gt
from glosstest import check
import tlscerts

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "client",
                                "python"))
import gloss_client  # noqa: E402
import gloss_sp  # noqa: E402


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def glossd(tmp, name, *args):
    """Runs glossd on tmp/name with an ipc socket and args; (proc, sock)
    once it answers on the socket."""
    data = os.path.join(tmp, name)
    sock = "ipc://" + os.path.join(data, "glossd.sock")
    log = open(os.path.join(tmp, name + ".log"), "ab")
    proc = subprocess.Popen([gt.GLOSSD, "--data", data, "--listen", sock,
                             "--log-level", "debug", *args], stderr=log,
                            preexec_fn=gt._die_with_parent)
    for _ in range(250):
        if gt.gloss("info", sock=sock).returncode == 0:
            return proc, sock
        if proc.poll() is not None:
            break
        time.sleep(0.02)
    raise SystemExit("glossd %s did not start; see %s" % (name, log.name))


def refused_start(tmp, name, *args):
    """Runs glossd with args, which it must refuse: (exit code, stderr)."""
    r = subprocess.run([gt.GLOSSD, "--data", os.path.join(tmp, name),
                        *args], capture_output=True, timeout=30)
    return r.returncode, r.stderr.decode()


def logged(tmp, name):
    with open(os.path.join(tmp, name + ".log"), errors="replace") as f:
        return f.read()


def cli(url, *args, ca=None, cert=None, key=None, timeout=5000):
    """gloss info at url with the TLS options given: the finished run and
    the seconds it took."""
    opts = ["--socket", url, "--timeout", str(timeout)]
    for flag, v in (("--tls-ca", ca), ("--tls-cert", cert),
                    ("--tls-key", key)):
        if v:
            opts += [flag, v]
    t = time.monotonic()
    r = gt.gloss(*(args or ("info",)), *opts)
    return r, time.monotonic() - t


def py_call(url, timeout=5, **tls):
    """GetServerInfo from the Python client: (code name or "OK", message,
    seconds)."""
    t = time.monotonic()
    try:
        gloss_client.Client(url, timeout=timeout, **tls).call(
            "GetServerInfo")
        return "OK", "", time.monotonic() - t
    except gloss_client.GlossError as e:
        return e.name, "%s: %s" % (e.name, e.message), \
            time.monotonic() - t


def refused_by_client(tmp, what, url, ca):
    """The CLI and the Python client refuse glossd's certificate at url
    at once, with a clear error."""
    r, secs = cli(url, ca=ca)
    err = r.stderr.decode()
    check(r.returncode == gt.EXIT["UNAUTHENTICATED"] and
          "UNAUTHENTICATED" in err and
          "certificate" in err and secs < 3,
          "%s: the CLI refuses it at once (rc %d, %.1f s): %s"
          % (what, r.returncode, secs, err))
    code, msg, secs = py_call(url, ca=ca)
    check(code != "OK" and "TLS" in msg and "CERTIFICATE_VERIFY_FAILED" in
          msg and secs < 3, "%s: the Python client refuses it at once "
          "(%.1f s): %s" % (what, secs, msg))


def test_serving(tmp, certs):
    """The CLI and the Python client work over tls+tcp:// with the CA,
    requests and replies larger than a TLS record included."""
    port = free_port()
    url = "tls+tcp://127.0.0.1:%d" % port
    proc, sock = glossd(tmp, "tls", "--listen", url, "--tls-cert",
                        certs["server.crt"], "--tls-key", certs["server.key"])
    r, _ = cli(url, ca=certs["ca.crt"])
    check(r.returncode == 0 and b"gloss.v1" in r.stdout,
          "gloss info over tls+tcp:// with --tls-ca: %s" % r.stderr)
    env = dict(os.environ, GLOSS_TLS_CA=certs["ca.crt"], GLOSS_SOCKET=url)
    r = subprocess.run([gt.GLOSS, "info"], env=env, capture_output=True,
                       timeout=60)
    check(r.returncode == 0, "GLOSS_TLS_CA works as --tls-ca: %s" % r.stderr)
    r, _ = cli("tls+tcp://localhost:%d" % port, ca=certs["ca.crt"])
    check(r.returncode == 0, "tls+tcp://localhost: %s" % r.stderr)
    # An article of 300 KB: records of 16 KB both ways, written whole.
    text = ("Lorem ipsum ção عربي " * 15000).encode()
    path = os.path.join(tmp, "big.txt")
    with open(path, "wb") as f:
        f.write(text)
    r, _ = cli(url, "import", "--lang", "pt", path, ca=certs["ca.crt"],
               timeout=30000)
    check(r.returncode == 0, "a 300 KB import over TLS: %s" % r.stderr)
    aid = r.stdout.decode().split()[1] if r.stdout else ""
    c = gloss_client.Client(url, ca=certs["ca.crt"])
    got = c.call("GetArticle", id=aid).article.text.encode()
    check(got == text, "the Python client reads the 300 KB article back "
          "over TLS (%d bytes of %d)" % (len(got), len(text)))
    c.close()
    return proc, url, port


def test_pipelined(certs, url):
    """20 requests in one TLS record: glossd takes 8 at a time, and the
    rest wait decrypted inside mbedtls, where epoll cannot see them; they
    must be read once replies make room (server_tls_pending)."""
    c = gloss_client.Client(url, ca=certs["ca.crt"])
    payload = c.request("GetServerInfo").SerializeToString()
    conn = gloss_sp.Connection(url, 10, gloss_sp.tls_context(certs["ca.crt"]))
    rids, frames = [], b""
    for i in range(20):
        rid = (0x80000000 | (i + 1)).to_bytes(4, "big")
        rids.append(rid)
        frames += (len(payload) + 4).to_bytes(8, "big") + rid + payload
    conn.sock.sendall(frames)  # one write: one record
    seen = set()  # replies come in any order (16 workers)
    try:
        conn.sock.settimeout(5)
        while len(seen) < 20:
            n = int.from_bytes(conn._read(8), "big")
            seen.add(conn._read(n)[:4])
    except OSError as e:
        print("pipelined: %s" % e, file=sys.stderr)
    conn.close()
    check(seen == set(rids), "20 requests in one TLS record are all "
          "answered (%d were)" % len(seen))


def test_refusals(tmp, certs, url):
    """An untrusted, expired or self-signed certificate is refused by the
    clients (a clear error, no retry loop), and glossd serves others."""
    refused_by_client(tmp, "a CA the client does not trust", url,
                      certs["clientca.crt"])
    for bad in ("expired", "self"):
        port = free_port()
        burl = "tls+tcp://127.0.0.1:%d" % port
        proc, _ = glossd(tmp, bad, "--listen", burl, "--tls-cert",
                         certs[bad + ".crt"], "--tls-key", certs[bad + ".key"])
        refused_by_client(tmp, "a %s certificate" % bad, burl,
                          certs["ca.crt"])
        gt.stop_glossd(proc)
    check("has expired" in logged(tmp, "expired"),
          "glossd warns at start that its certificate has expired")
    r, _ = cli(url, ca=certs["ca.crt"])
    check(r.returncode == 0, "glossd serves others after refused "
          "handshakes: %s" % r.stderr)


def test_mismatch(tmp, certs, url, port):
    """Plaintext SP to a TLS listener, and TLS to a plaintext one, fail
    cleanly on both sides; glossd logs why and serves others."""
    r, secs = cli("tcp://127.0.0.1:%d" % port, timeout=3000)
    check(r.returncode != 0 and secs < 10, "a plaintext CLI on the TLS "
          "listener fails (rc %d): %s" % (r.returncode, r.stderr))
    check("plaintext SP to a TLS listener" in logged(tmp, "tls"),
          "glossd logs a plaintext SP peer on its TLS listener")
    code, msg, secs = py_call("tcp://127.0.0.1:%d" % port, timeout=3)
    check(code != "OK" and secs < 10, "a plaintext Python client on the "
          "TLS listener fails: %s" % msg)
    pport = free_port()
    proc, _ = glossd(tmp, "plain", "--listen", "tcp://127.0.0.1:%d" % pport)
    purl = "tls+tcp://127.0.0.1:%d" % pport
    r, secs = cli(purl, ca=certs["ca.crt"])
    check(r.returncode != 0 and secs < 3, "a TLS CLI on a plaintext "
          "listener fails at once (rc %d, %.1f s): %s"
          % (r.returncode, secs, r.stderr))
    code, msg, secs = py_call(purl, ca=certs["ca.crt"])
    check(code != "OK" and secs < 3, "a TLS Python client on a plaintext "
          "listener fails at once (%.1f s): %s" % (secs, msg))
    check("a TLS client on a plaintext listener" in logged(tmp, "plain"),
          "glossd logs a TLS client on its plaintext listener")
    gt.stop_glossd(proc)
    r, _ = cli(url, ca=certs["ca.crt"])
    check(r.returncode == 0, "glossd serves others after the mismatches")


def test_stall(tmp, certs, url, port):
    """A peer that stalls mid-handshake (or says nothing) holds no one
    up, and is closed after the hello's 10 s."""
    silent = socket.create_connection(("127.0.0.1", port))
    half = socket.create_connection(("127.0.0.1", port))
    # A ClientHello's record header and the start of its body, no more.
    half.sendall(bytes([0x16, 0x03, 0x01, 0x00, 0xc8, 0x01, 0x00, 0x00]))
    t = time.monotonic()
    r, secs = cli(url, ca=certs["ca.crt"])
    check(r.returncode == 0 and secs < 2, "others are served while two "
          "peers stall their handshakes (%.1f s): %s" % (secs, r.stderr))
    closed = []
    for s in (silent, half):
        s.settimeout(15)
        try:
            closed.append(s.recv(1) == b"")
        except OSError:
            closed.append(True)
        s.close()
    took = time.monotonic() - t
    check(all(closed) and 9 < took < 14, "glossd closes stalled handshakes "
          "after 10 s (closed %s after %.1f s)" % (closed, took))
    check("TLS handshake was not done within 10 s" in logged(tmp, "tls"),
          "glossd logs the stalled handshake")


def test_client_certs(tmp, certs):
    """--tls-client-ca: a client without a certificate, or with one the
    CA did not sign, is refused; one with a signed certificate is served
    and its CN is the peer's subject."""
    port = free_port()
    url = "tls+tcp://127.0.0.1:%d" % port
    proc, _ = glossd(tmp, "mtls", "--listen", url, "--tls-cert",
                     certs["server.crt"], "--tls-key", certs["server.key"],
                     "--tls-client-ca", certs["clientca.crt"])
    ca = certs["ca.crt"]
    r, secs = cli(url, ca=ca)
    check(r.returncode != 0 and secs < 10, "no client certificate: "
          "refused (rc %d): %s" % (r.returncode, r.stderr))
    r, secs = cli(url, ca=ca, cert=certs["stranger.crt"],
                  key=certs["stranger.key"])
    check(r.returncode != 0 and secs < 10, "a client certificate of "
          "another CA: refused: %s" % r.stderr)
    r, _ = cli(url, ca=ca, cert=certs["client.crt"], key=certs["client.key"])
    check(r.returncode == 0, "a client certificate of --tls-client-ca: "
          "served: %s" % r.stderr)
    r, _ = cli(url, ca=ca, cert=certs["client.crt"])
    check(r.returncode != 0 and b"--tls-key" in r.stderr,
          "--tls-cert without --tls-key: a clear error: %s" % r.stderr)
    code, msg, _ = py_call(url, ca=ca)
    check(code != "OK", "the Python client without a certificate: "
          "refused: %s" % msg)
    code, msg, _ = py_call(url, ca=ca, cert=certs["client.crt"],
                           key=certs["client.key"])
    check(code == "OK", "the Python client with its certificate: %s" % msg)
    log = logged(tmp, "mtls")
    check(", client ana" in log, "glossd takes the client's CN (ana)")
    check("no valid client certificate" in log,
          "glossd logs why it refused a client")
    gt.stop_glossd(proc)


def test_policy(tmp, certs):
    """Only the listeners glossd can secure; no plaintext beyond loopback
    without --insecure; TLS flags checked at start."""
    port = free_port()
    for url in ("ws://127.0.0.1:%d" % port, "wss://127.0.0.1:%d" % port,
                "inproc://x"):
        code, err = refused_start(tmp, "p1", "--listen", url)
        check(code != 0 and "ws://" in err and "Origin" in err,
              "%s is refused, saying why: %s" % (url, err))
    for url in ("tcp://0.0.0.0:%d" % port, "tcp://:%d" % port,
                "tcp://[::]:%d" % port):
        code, err = refused_start(tmp, "p2", "--listen", url)
        check(code != 0 and "--insecure" in err and "loopback" in err,
              "%s is refused without --insecure: %s" % (url, err))
    proc, _ = glossd(tmp, "insecure", "--listen", "tcp://0.0.0.0:%d" % port,
                     "--insecure")
    log = logged(tmp, "insecure")
    check("(--insecure)" in log and "every address" in log,
          "--insecure: glossd warns, and says it listens everywhere")
    gt.stop_glossd(proc)
    tls = "tls+tcp://127.0.0.1:%d" % port
    bad = [((), "--tls-cert"),
           (("--tls-cert", certs["server.crt"]), "--tls-key"),
           (("--tls-cert", os.path.join(tmp, "none.crt"), "--tls-key",
             certs["server.key"]), "No such file"),
           (("--tls-cert", certs["server.crt"], "--tls-key",
             certs["self.key"]), "is not the key"),
           (("--tls-cert", certs["server.key"], "--tls-key",
             certs["server.key"]), "not a PEM certificate")]
    for args, says in bad:
        code, err = refused_start(tmp, "p3", "--listen", tls, *args)
        check(code != 0 and says in err, "tls+tcp:// with %s is refused "
              "saying %r: %s" % (args, says, err))
    # A private key others can read (the attack's 0644) is refused.
    shared = os.path.join(tmp, "shared.key")
    shutil.copyfile(certs["server.key"], shared)
    os.chmod(shared, 0o644)
    code, err = refused_start(tmp, "p4", "--listen", tls, "--tls-cert",
                              certs["server.crt"], "--tls-key", shared)
    check(code != 0 and "chmod 600" in err and "anyone" in err,
          "a world-readable --tls-key is refused: %s" % err)


def test_modes(tmp):
    """The data folder is 0700, the socket 0600 (or --socket-mode), the
    LMDB files 0600."""
    proc, sock = glossd(tmp, "modes")
    data = os.path.join(tmp, "modes")
    mode = lambda p: stat.S_IMODE(os.stat(p).st_mode)  # noqa: E731
    check(mode(data) == 0o700, "the data folder is 0700: %o" % mode(data))
    check(mode(sock[6:]) == 0o600, "the socket is 0600: %o" % mode(sock[6:]))
    for f in os.listdir(data):
        p = os.path.join(data, f)
        if os.path.isfile(p):
            check(mode(p) & 0o077 == 0, "%s is not for others: %o"
                  % (f, mode(p)))
    if os.geteuid() == 0 and shutil.which("setpriv"):
        # Another OS user, kept out by the 0600 socket: told why and what
        # to ask for, PERMISSION_DENIED (exit 8), not "retry later".
        os.chmod(tmp, 0o755)
        os.chmod(data, 0o755)
        r = subprocess.run(["setpriv", "--reuid", "65534", "--regid",
                            "65534", "--clear-groups", gt.GLOSS, "info",
                            "--socket", sock], capture_output=True,
                           timeout=30)
        check(r.returncode == gt.EXIT["PERMISSION_DENIED"] and
              b"--socket-mode 0660" in r.stderr,
              "another OS user at a 0600 socket: %s" % r.stderr)
        os.chmod(data, 0o700)
    else:
        print("test_modes: another OS user not tried (not root)")
    gt.stop_glossd(proc)
    proc, sock = glossd(tmp, "group", "--socket-mode", "0660")
    check(mode(sock[6:]) == 0o660, "--socket-mode 0660: %o"
          % mode(sock[6:]))
    gt.stop_glossd(proc)
    code, err = refused_start(tmp, "p4", "--socket-mode", "0666")
    check(code != 0 and "--socket-mode" in err,
          "--socket-mode 0666 (every local user) is refused: %s" % err)


def main():
    tmp = tempfile.mkdtemp(prefix="gloss-tls-")
    os.chmod(tmp, 0o755)
    certs = tlscerts.make(tmp)
    proc, url, port = test_serving(tmp, certs)
    test_pipelined(certs, url)
    test_refusals(tmp, certs, url)
    test_mismatch(tmp, certs, url, port)
    test_stall(tmp, certs, url, port)
    gt.stop_glossd(proc)
    test_client_certs(tmp, certs)
    test_policy(tmp, certs)
    test_modes(tmp)
    gt.finish(tmp, "tls.log")


if __name__ == "__main__":
    main()
