"""Content decoding that stops at a stated size: a server under test (or a monitor endpoint) is
not trusted to send a body that inflates reasonably.

httpx decodes each received chunk whole: a 1.8 kB response with ``Content-Encoding: gzip, gzip``
became a gigabyte in one call, on the event loop, before any size limit or timeout could act.
Here every layer inflates at most ``PIECE`` bytes per step and hands them on; the caller gets
pieces of the decoded body and an ``await`` point between them (so the request's timeout still
fires), and decoding ends as soon as any layer has produced more than the limit: a compressed
layer larger than the body it stands for is not a body worth inflating further.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

PIECE = 64 * 1024  # bytes one layer inflates per step

_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


class TooLarge(Exception):
    """A layer of the body decoded past the limit."""


class DecodeFailed(Exception):
    """The body is not what its content-encoding says."""


class _Layer:
    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self.raw_deflate = False
        self.inflater = zlib.decompressobj(_WBITS[encoding])
        self.produced = 0

    def feed(self, data: bytes) -> Iterator[bytes]:
        pending = data
        while True:
            try:
                piece = self.inflater.decompress(pending, PIECE)
            except zlib.error as exc:
                # "deflate" is zlib-wrapped by the standard and raw by some servers: retry raw
                # when the very first bytes fail, as browsers and httpx do.
                if self.encoding == "deflate" and not self.raw_deflate and not self.produced:
                    self.raw_deflate = True
                    self.inflater = zlib.decompressobj(-zlib.MAX_WBITS)
                    continue
                raise DecodeFailed(f"{self.encoding}: {exc}") from None
            self.produced += len(piece)
            if piece:
                yield piece
            if self.inflater.eof:
                return  # bytes after the end of the stream are ignored, as httpx does
            pending = self.inflater.unconsumed_tail
            # A full piece may leave output inside zlib even with no input left: ask again.
            if not pending and len(piece) < PIECE:
                return


class BoundedDecoder:
    """The decoders of a ``Content-Encoding`` header (applied in the order listed, so undone
    in reverse); unknown encodings and ``identity`` pass bytes through."""

    def __init__(self, header: str, limit: int) -> None:
        names = [n.strip().lower() for n in header.split(",") if n.strip()]
        self.layers = [_Layer(n) for n in reversed(names) if n in _WBITS]
        self.limit = limit

    def feed(self, data: bytes) -> Iterator[bytes]:
        """Decoded pieces of ``data`` (one received chunk); TooLarge past the limit."""
        yield from self._through(0, data)

    def _through(self, index: int, data: bytes) -> Iterator[bytes]:
        if index == len(self.layers):
            yield data
            return
        layer = self.layers[index]
        for piece in layer.feed(data):
            if layer.produced > self.limit:
                raise TooLarge(layer.encoding)
            yield from self._through(index + 1, piece)
