"""gloss_export: an Export, page by page, into a file or (brat) a folder,
as `gloss export` writes it: into OUT.part, renamed to OUT when the last
page is in, so that OUT is only ever a whole export.  Chunk paths from
glossd are checked as the CLI checks them: nothing is written outside the
folder, whatever glossd sends.  Client.export() calls it.
"""
import os
import shutil
import sys

from gloss_sp import ProtocolError

FOLDER_FORMATS = ("brat",)  # a folder of files; every other: one file


class ExportResult:
    """What an export wrote: files (paths inside the folder, or [out]),
    bytes, articles and annotations (the pages' sums), losses (every
    ExportLoss), losses_unlisted, as_of_seq (its snapshot), pages."""

    def __init__(self):
        self.files, self.losses = [], []
        self.bytes = self.articles = self.annotations = 0
        self.losses_unlisted = self.as_of_seq = self.pages = 0


def path_ok(p):
    """A chunk path names a plain file inside the folder: not empty, not
    over 255 bytes, no '/', '\\\\', "..", leading '.' or control byte."""
    b = p.encode("utf-8", "surrogatepass")
    return 0 < len(b) <= 255 and not p.startswith(".") and ".." not in p \
        and not any(c < 0x20 or c == 0x7F or c in b"/\\" for c in b)


class _Sink:
    """The files of one export, opened as their chunks come."""

    def __init__(self, fmt, out):
        self.folder = fmt in FOLDER_FORMATS
        self.out = out
        self.part = None if out == "-" else out + ".part"
        self.file, self.path, self.done = None, None, set()
        if self.part is None:
            if self.folder:
                raise ValueError("brat writes a folder: give a folder name")
            return
        if self.folder and os.path.exists(out) and \
                (not os.path.isdir(out) or os.listdir(out)):
            raise FileExistsError("%s is not a new or empty folder" % out)
        if os.path.lexists(self.part):
            raise FileExistsError("%s exists (left by an interrupted "
                                  "export? remove it)" % self.part)
        if self.folder:
            os.mkdir(self.part)

    def switch(self, path, result):
        if self.file is not None and path == self.path:
            return
        if path in self.done:
            raise ProtocolError("glossd sent more of %r after another "
                                "file began" % path)
        if not self.folder and path:
            raise ProtocolError("glossd sent a file name (%r) for a "
                                "one-file format" % path)
        if self.folder and not path_ok(path):
            raise ProtocolError("glossd sent a file name that is not a "
                                "plain name inside %s (refused, nothing "
                                "written outside it): %r" % (self.part, path))
        self.close()
        if self.part is None:
            self.file = sys.stdout.buffer
        else:
            self.file = open(os.path.join(self.part, path) if self.folder
                             else self.part, "wb")
        self.path = path
        result.files.append(path if self.folder else self.out)

    def close(self):
        if self.file is not None:
            if self.file is sys.stdout.buffer:
                self.file.flush()
            else:
                self.file.close()
            self.done.add(self.path)
        self.file = None

    def finish(self, result):
        if not self.folder and self.path is None:
            self.switch("", result)  # an empty export is an empty file
        self.close()
        if self.part is None:
            return
        if self.folder and os.path.isdir(self.out):
            os.rmdir(self.out)  # it was empty (checked at the start)
        os.rename(self.part, self.out)

    def abandon(self):
        if self.file is not None and self.file is not sys.stdout.buffer:
            self.file.close()
        self.file = None
        if self.part is not None and os.path.isdir(self.part):
            shutil.rmtree(self.part, True)
        elif self.part is not None and os.path.lexists(self.part):
            os.unlink(self.part)


def export(client, fmt, out, progress, timeout, filters):
    """Client.export(): every page of Export(format=fmt, **filters) into
    out.  Raises GlossError, ProtocolError or OSError, leaving no OUT and
    no OUT.part behind."""
    sink, result = _Sink(fmt, out), ExportResult()
    try:
        for page in client.pages("export", timeout=timeout, format=fmt,
                                 **filters):
            for chunk in page.chunks:
                sink.switch(chunk.path, result)
                sink.file.write(chunk.data)
                result.bytes += len(chunk.data)
            result.losses.extend(page.losses)
            result.losses_unlisted += page.losses_unlisted
            result.articles += page.articles
            result.annotations += page.annotations
            result.as_of_seq = page.as_of_seq
            result.pages += 1
            if progress is not None:
                progress(page)
        sink.finish(result)
    except BaseException:
        sink.abandon()
        raise
    return result
