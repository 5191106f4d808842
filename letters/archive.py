"""A ZIP of archived letters, streamed: never written to disk, never held in
memory whole (20,000 letters are about 2 GB). PDFs are already compressed, so
entries are stored, not deflated."""

from __future__ import annotations

import re
import shutil
import zipfile
from collections.abc import Iterable, Iterator


class _Sink:
    """A write-only, unseekable file: zipfile then writes data descriptors."""

    def __init__(self):
        self.chunks: list[bytes] = []

    def write(self, data) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def drain(self) -> Iterator[bytes]:
        chunks, self.chunks = self.chunks, []
        yield from chunks


def entry_name(letter) -> str:
    firm = re.sub(r'[\\/:*?"<>|\s]+', "_", letter.enterprise.name)[:60]
    return f"{letter.year}-{letter.number:04d}_{firm}.pdf"


def stream_zip(letters: Iterable) -> Iterator[bytes]:
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED) as archive:
        for letter in letters:
            try:
                source = letter.file.open("rb")
            except FileNotFoundError:
                continue
            with source, archive.open(entry_name(letter), "w", force_zip64=True) as dest:
                shutil.copyfileobj(source, dest, 256 * 1024)
            yield from sink.drain()
    yield from sink.drain()
