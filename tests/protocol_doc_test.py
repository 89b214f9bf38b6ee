#!/usr/bin/python3
"""Runs every ```sh and ```python block of docs/protocol.md, in order, as
the page says they run: from the checkout's top folder, against `make run
LISTEN=tcp://127.0.0.1:7411` with the seeds imported.  The checkout is a
folder of its own (links to proto/, docs/, tools/ and the build, a copy
of client/ so that npm writes nothing into the real one), with
../shared/seeds beside it; glossd listens on var/glossd.sock and on a
free port, which replaces 7411 in the blocks.  A block that exits non-zero
fails the test.
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile

import glosstest as gt
from glosstest import check

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC = os.path.join(TOP, "docs", "protocol.md")
BLOCK = re.compile(r"^```(sh|python)\n(.*?)^```$", re.M | re.S)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def checkout(tmp):
    """A checkout's top folder in tmp, as the blocks expect it."""
    top = os.path.join(tmp, "gloss")
    os.mkdir(top)
    for d in ("proto", "docs", "tools", "tests"):
        os.symlink(os.path.join(TOP, d), os.path.join(top, d))
    os.symlink(os.path.dirname(os.path.abspath(gt.GLOSSD)),
               os.path.join(top, "build"))
    shutil.copytree(os.path.join(TOP, "client"), os.path.join(top, "client"),
                    ignore=shutil.ignore_patterns("node_modules",
                                                  "__pycache__"))
    os.mkdir(os.path.join(tmp, "shared"))
    os.symlink(os.path.abspath(gt.SEEDS), os.path.join(tmp, "shared", "seeds"))
    return top


def run_block(top, lang, code, env):
    if lang == "sh":
        args = ["sh", "-e", "-c", code]
    else:
        args = ["python3", "-c", code]
    try:
        return subprocess.run(args, cwd=top, env=env, capture_output=True,
                              text=True, timeout=180)
    except subprocess.TimeoutExpired as e:
        return subprocess.CompletedProcess(args, 124, e.stdout or "",
                                           "timed out after 180 s")


def main():
    tmp = tempfile.mkdtemp(prefix="gloss-protodoc-")
    top = checkout(tmp)
    port = free_port()
    proc, ipc = gt.start_glossd(top, "var",
                                listen=["tcp://127.0.0.1:%d" % port])
    env = dict(os.environ, GLOSS_SOCKET=ipc, TMPDIR=tmp,
               PYTHONPATH=os.path.join(top, "client", "python"),
               PATH=os.pathsep.join([os.path.join(top, "build"), "/usr/bin",
                                     "/bin", os.environ.get("PATH", "")]))
    try:
        os.environ["GLOSS_SOCKET"] = ipc
        for stem, lang, orig in gt.SEED_FILES:
            gt.import_seed(stem, lang, orig)
        blocks = BLOCK.findall(open(DOC, encoding="utf-8").read())
        check(len(blocks) >= 8, "%d sh and python blocks found" % len(blocks))
        for lang, code in blocks:
            r = run_block(top, lang, code.replace("7411", str(port)), env)
            first = code.strip().splitlines()[0]
            print("%s block `%s`: exit %d" % (lang, first, r.returncode))
            check(r.returncode == 0, "the %s block `%s`:\n%s\n%s"
                  % (lang, first, r.stdout[-2000:], r.stderr[-2000:]))
    finally:
        gt.stop_glossd(proc)
        if gt.failures:
            sys.stderr.write(open(os.path.join(top, "var.log")).read()[-3000:])
        shutil.rmtree(tmp, True)
    gt.finish(tmp)


if __name__ == "__main__":
    main()
