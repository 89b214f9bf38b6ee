"""A connection whose SP handshake is cut short must not cut anyone off.

nng 1.5.2 (Debian 12) reports a peer that closes during the handshake as
NNG_ECLOSED, which its listener and dialer take to mean that they were
closed themselves: glossd's listener then accepts no connection again, and
a client's dialer never dials again (nng #1518, fixed in nng 1.6.0).  The
crash test found the client side: a writer whose reconnection met a glossd
killed mid-handshake got DEADLINE_EXCEEDED on every call from then on.

    server: a local process connects to the socket and closes it at once,
            200 times (each is a race with glossd's half of the handshake);
            then `gloss info` must still be answered.
    client: `gloss changes --follow` is connected when glossd is killed;
            something accepts on the socket and closes at once (as a glossd
            dying mid-handshake does) for 10 s; glossd restarts; the
            follower must print the next change.  (The client is cut off
            only if the close comes before the dialer writes its half of
            the handshake, a race; 10 s of redials make it near certain.)

Registered DISABLED in tests/CMakeLists.txt until glossd and client/rpc.c
handle it; `python3 tests/handshake_test.py` (with $GLOSSD, $GLOSS and
$GLOSS_SEEDS as ctest sets them) shows both failing on nng 1.5.2.
"""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import glosstest as gt


def cut_handshakes(path, seconds):
    """Accepts on the socket at path and closes each connection at once."""
    if os.path.exists(path):
        os.unlink(path)
    s = socket.socket(socket.AF_UNIX)
    s.bind(path)
    s.listen(16)
    s.settimeout(0.05)
    end = time.time() + seconds
    while time.time() < end:
        try:
            c, _ = s.accept()
            c.close()
        except socket.timeout:
            pass
    s.close()
    os.unlink(path)


def server_case(tmp, name):
    proc, sock = gt.start_glossd(tmp, name)
    for i in range(200):
        s = socket.socket(socket.AF_UNIX)
        s.connect(sock[len("ipc://"):])
        time.sleep(i % 5 * 0.0005)
        s.close()
    r = gt.gloss("info", "--timeout", "3000", sock=sock)
    gt.check(r.returncode == 0,
             "glossd answers after a client closed mid-handshake: %s"
             % r.stderr.decode(errors="replace").strip())
    gt.stop_glossd(proc)


def client_case(tmp, name):
    proc, sock = gt.start_glossd(tmp, name)
    follower = subprocess.Popen(
        [gt.GLOSS, "changes", "--follow", "--timeout", "30000", "--socket",
         sock], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(0.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    cut_handshakes(sock[len("ipc://"):], 10.0)
    proc, sock = gt.start_glossd(tmp, name)
    os.environ["GLOSS_SOCKET"] = sock
    gt.import_seed(*gt.SEED_FILES[0])
    try:
        out, err = follower.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        follower.kill()
        out, err = follower.communicate()
    gt.check(b"created" in out.lower(),
             "the follower sees the change made after the restart: %s"
             % err.decode(errors="replace").strip())
    gt.stop_glossd(proc)


def main():
    """Three rounds of each, as each is a race that nng 1.5.2 loses only
    some of the time; the data folders stay in /tmp after a failure."""
    tmp = tempfile.mkdtemp(prefix="gloss-handshake-")
    try:
        for i in range(3):
            server_case(tmp, "server%d" % i)
            client_case(tmp, "client%d" % i)
    finally:
        if gt.failures == 0:
            shutil.rmtree(tmp, ignore_errors=True)
    gt.finish(tmp, "client0.log")


if __name__ == "__main__":
    main()
