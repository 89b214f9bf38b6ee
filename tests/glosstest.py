"""What the Python integration tests share: the binaries under test, a
counted check(), running gloss, and starting and stopping a real glossd on
a folder of the test's own.  Standard library only.

Each test calls check() for every claim, then finish(), which prints the
tally and exits 1 if any check failed.
"""
import os
import signal
import subprocess
import sys
import time

GLOSSD = os.environ["GLOSSD"]
GLOSS = os.environ["GLOSS"]
SEEDS = os.environ.get("GLOSS_SEEDS", "")

# The seed corpus (../shared/seeds): stem, language, translation_of.
G000 = "000_37e09da8a1b7b9fa"  # pt, the original
G001 = "001_5b91122d76223f77"  # en, translation_of 000
G003 = "003_d4609c45f16f6551"  # ar, translation_of 000
G002 = "002_825f8c3cad83cc35"  # pt
G004 = "004_0a79a96be110de23"  # fr
SEED_FILES = [(G000, "pt", None), (G001, "en", G000), (G003, "ar", G000),
              (G002, "pt", None), (G004, "fr", None)]

# The CLI's exit code for each status code (docs/cli.md); 1 for the rest.
EXIT = {"INVALID_ARGUMENT": 3, "OUT_OF_RANGE": 3, "NOT_FOUND": 4,
        "ALREADY_EXISTS": 5, "FAILED_PRECONDITION": 5, "ABORTED": 5,
        "UNAVAILABLE": 6, "DEADLINE_EXCEEDED": 6, "RESOURCE_EXHAUSTED": 7,
        "UNAUTHENTICATED": 8, "PERMISSION_DENIED": 8}

failures = 0
checks = 0


def check(cond, what):
    """Counts a check; prints what failed.  Returns cond."""
    global failures, checks
    checks += 1
    if not cond:
        failures += 1
        print("FAIL:", what, file=sys.stderr)
    return cond


def gloss(*args, stdin=None, sock=None):
    """Runs the gloss CLI (at sock, else $GLOSS_SOCKET); the finished run."""
    env = dict(os.environ)
    if sock is not None:
        env["GLOSS_SOCKET"] = sock
    return subprocess.run([GLOSS, *args], input=stdin, capture_output=True,
                          timeout=60, env=env)


def import_seed(stem, lang, orig):
    """Imports one seed with `gloss import` (checked to succeed); returns
    the run and the file's bytes."""
    path = os.path.join(SEEDS, stem + ".txt")
    args = ["import", "--lang", lang, path]
    if orig:
        args[1:1] = ["--translation-of", orig]
    r = gloss(*args)
    check(r.returncode == 0, "import %s: %s" % (stem, r.stderr))
    with open(path, "rb") as f:
        return r, f.read()


def _die_with_parent():
    """glossd gets SIGTERM if the test dies (a ctest timeout, say), so no
    daemon outlives it."""
    try:
        import ctypes
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def start_glossd(tmp, name="data", listen=(), args=()):
    """A glossd on tmp/name, logging to tmp/name.log, answering; returns
    the process and its socket URL.  listen: more URLs (tcp://...) it
    listens on beside its socket; args: more options (--tls-cert ...)."""
    log = open(os.path.join(tmp, name + ".log"), "ab")
    data = os.path.join(tmp, name)
    sock = "ipc://" + os.path.join(data, "glossd.sock")
    argv = [GLOSSD, "--data", data, *args]
    for url in (sock, *listen) if listen else ():
        argv += ["--listen", url]
    proc = subprocess.Popen(argv, stderr=log, preexec_fn=_die_with_parent)
    for _ in range(250):
        if os.path.exists(os.path.join(data, "glossd.sock")) and \
                gloss("info", sock=sock).returncode == 0:
            return proc, sock
        time.sleep(0.02)
    raise SystemExit("glossd did not start; see " + log.name)


def stop_glossd(proc):
    """SIGTERM, and a check that glossd exits 0 (in-flight work done)."""
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(timeout=30)
    check(code == 0, "glossd exits 0 on SIGTERM (got %s)" % code)


def finish(tmp, log="data.log"):
    """Shows the end of glossd's log if anything failed, prints the tally
    and exits: 0 if every check passed."""
    if failures:
        path = os.path.join(tmp, log)
        if os.path.exists(path):
            print(open(path).read()[-3000:], file=sys.stderr)
    print("%d passed, %d failed" % (checks - failures, failures))
    sys.exit(1 if failures else 0)
