"""A minimal asyncio HTTP/1.1 keep-alive client: cheap enough per request to generate load in Python."""

from __future__ import annotations

import asyncio


class HttpError(Exception):
    pass


class Conn:
    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(self, raw: bytes, on_sent=None) -> tuple[int, dict, bytes]:
        """Send ``raw`` and read the response; reconnects once if the server closed an idle connection."""
        for attempt in (0, 1):
            if self.writer is None:
                await self.open()
            try:
                self.writer.write(raw)
                if on_sent is not None:
                    on_sent()
                head = await self.reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                self.close()
                if attempt:
                    raise
                continue
            lines = head.decode("latin-1").split("\r\n")
            status = int(lines[0].split(" ", 2)[1])
            headers = {}
            for line in lines[1:]:
                if line:
                    k, _, v = line.partition(":")
                    headers.setdefault(k.strip().lower(), []).append(v.strip())
            if headers.get("transfer-encoding", [""])[0].lower() == "chunked":
                body = await self._chunked()
            else:
                length = int(headers.get("content-length", ["0"])[0])
                body = await self.reader.readexactly(length) if length else b""
            if headers.get("connection", [""])[0].lower() == "close":
                self.close()
            return status, headers, body
        raise HttpError("unreachable")

    async def _chunked(self) -> bytes:
        """A chunked body (servers without a Content-Length, e.g. Django behind gunicorn)."""
        parts = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";", 1)[0], 16)
            if size == 0:
                while (await self.reader.readuntil(b"\r\n")) != b"\r\n":
                    pass  # trailers
                return b"".join(parts)
            parts.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)
