#!/usr/bin/python3
"""client/node against a real glossd: protobufjs installed with `npm ci`
from the project's package-lock.json (into $GLOSS_NODE_DIR, so that the
checkout stays clean), then client/node/example.js run on each seed (pt,
en, ar, fr), over ipc:// and tcp:// in turn: it tags a quote (and the
same text by UTF-16 offsets), shows a refusal's code and reason, lists
the article's annotations two by two, follows the feed until its tag's
change arrives, and exports the article in brat and jsonl.  Its output
and files are checked against Python's own arithmetic and the CLI.
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import glosstest as gt
from glosstest import check

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NODE_SRC = os.path.join(TOP, "client", "node")
# seed: (quote, nth, label)
TAGS = {gt.G000: ("Trump", 3, "PERSON"), gt.G001: ("NVIDIA", 2, "ORG"),
        gt.G003: ("ترامب", 5, "PERSON"), gt.G004: ("Nvidia", 4, "ORG")}


def npm_ci(prefix):
    """protobufjs, as package-lock.json pins it, into prefix/node_modules."""
    os.makedirs(prefix, exist_ok=True)
    for f in ("package.json", "package-lock.json"):
        shutil.copy(os.path.join(NODE_SRC, f), prefix)
    r = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--prefix",
                        prefix], capture_output=True, text=True, timeout=300)
    if not check(r.returncode == 0, "npm ci: %s" % r.stderr[-2000:]):
        gt.finish(prefix)
    return os.path.join(prefix, "node_modules")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_example(url, stem, out, node_path):
    quote, nth, label = TAGS[stem]
    env = dict(os.environ, NODE_PATH=node_path)
    return subprocess.run(["node", os.path.join(NODE_SRC, "example.js"), url,
                           stem, quote, str(nth), label, out],
                          capture_output=True, text=True, timeout=120,
                          env=env)


def check_run(r, stem, text, sock):
    quote, nth, label = TAGS[stem]
    out = r.stdout
    if not check(r.returncode == 0, "%s: example.js: %s%s"
                 % (stem, out, r.stderr)):
        return
    starts = [k for k in range(len(text)) if text.startswith(quote, k)]
    u16 = len(text[:starts[nth - 1]].encode("utf-16-le")) // 2
    m = re.search(r"^tagged: annotation (\d+) (\S+) utf16 (\d+)-(\d+) "
                  r"chars (\d+)-(\d+) \"(.*)\"$", out, re.M)
    check(m is not None and m.group(2) == label and
          int(m.group(5)) == starts[nth - 1] and int(m.group(3)) == u16 and
          m.group(7) == quote, "%s: tagged %r nth %d at char %d, utf16 %d: %s"
          % (stem, quote, nth, starts[nth - 1], u16, out))
    if m is None:
        return
    ann = m.group(1)
    b = re.search(r"^by range: annotation \d+ utf16 (\d+)-(\d+) bytes "
                  r"(\d+)-(\d+) \"(.*)\"$", out, re.M)
    b0 = len(text[:starts[nth - 1]].encode("utf-8"))
    check(b is not None and (int(b.group(1)), int(b.group(3))) == (u16, b0)
          and b.group(5) == quote, "%s: by UTF-16 range, the same span "
          "(bytes from %d): %s" % (stem, b0, out))
    check(re.search(r"^refused: NOT_FOUND ARTICLE_NOT_FOUND: ", out, re.M)
          is not None, "%s: a refusal's code and reason: %s" % (stem, out))
    listed = gt.gloss("annotations", stem, "--json", sock=sock)
    n = len(listed.stdout.splitlines())
    check(("listed %d annotations in %d pages" % (n, (n + 1) // 2)) in out
          and n >= 4, "%s: the example listed what the CLI lists (%d), two "
          "by two: %s" % (stem, n, out))
    check(re.search(r"^followed: change \d+ is annotation %s$" % ann, out,
                    re.M) is not None, "%s: followed the feed: %s" % (stem, out))


def check_files(out, stem, text):
    quote = TAGS[stem][0]
    brat = os.path.join(out, stem + ".brat")
    names = sorted(os.listdir(brat)) if os.path.isdir(brat) else []
    check(names == sorted(["annotation.conf", "tools.conf", stem + ".txt",
                           stem + ".ann"]), "%s: brat files %s" % (stem, names))
    if stem + ".txt" not in names:
        return
    check(open(os.path.join(brat, stem + ".txt"), encoding="utf-8").read() ==
          text, "%s: brat .txt is the seed" % stem)
    tlines = [x.split("\t") for x in open(os.path.join(brat, stem + ".ann"),
                                          encoding="utf-8") if x[0] == "T"]
    ok = [t for t in tlines if t[2].rstrip("\n") == quote and
          text[int(t[1].split()[1]):int(t[1].split()[2])] == quote]
    check(len(ok) >= 1, "%s: brat holds the tag at its chars: %s"
          % (stem, tlines))
    lines = [json.loads(x) for x in open(os.path.join(out, stem + ".jsonl"),
                                         encoding="utf-8")]
    check("header" in lines[0] and any(
        x.get("article", {}).get("text") == text for x in lines),
          "%s: jsonl holds the header and the article's text" % stem)


def main():
    tmp = tempfile.mkdtemp(prefix="gloss-node-")
    node_path = npm_ci(os.environ.get("GLOSS_NODE_DIR") or
                       os.path.join(tmp, "npm"))
    tcp = "tcp://127.0.0.1:%d" % free_port()
    proc, ipc = gt.start_glossd(tmp, listen=[tcp])
    try:
        os.environ["GLOSS_SOCKET"] = ipc
        for stem, lang, orig in gt.SEED_FILES:
            gt.import_seed(stem, lang, orig)
        for stem, (quote, nth, label) in TAGS.items():
            for k in [k for k in (1, 2, 3, 4) if k != nth][:2]:
                r = gt.gloss("tag", stem, "--quote", quote, "--nth", str(k),
                             "--label", label)
                check(r.returncode == 0, "gloss tag %s: %s" % (stem, r.stderr))
        out = os.path.join(tmp, "out")
        os.mkdir(out)
        for i, stem in enumerate(TAGS):
            text = open(os.path.join(gt.SEEDS, stem + ".txt"),
                        encoding="utf-8").read()
            url = (ipc, tcp)[i % 2]
            r = run_example(url, stem, out, node_path)
            print("%s over %s:\n%s" % (stem, url[:3], r.stdout))
            check_run(r, stem, text, ipc)
            check_files(out, stem, text)
        r = run_example(tcp, gt.G003, out, node_path)
        check(r.returncode == 1 and "not a new or empty folder" in r.stderr,
              "an export into a folder that is not empty: %s" % r.stderr)
        at = time.monotonic()
        r = run_example("ipc://" + os.path.join(tmp, "nothing.sock"),
                        gt.G003, out, node_path)
        took = time.monotonic() - at
        check(r.returncode == 1 and "nothing answers at" in r.stderr and
              3 <= took < 6, "nothing listening: %.1f s: %s"
              % (took, r.stderr))
    finally:
        gt.stop_glossd(proc)
        if gt.failures:
            sys.stderr.write(open(os.path.join(tmp, "data.log")).read()[-3000:])
        shutil.rmtree(tmp, True)
    gt.finish(tmp)


if __name__ == "__main__":
    main()
