"""A minimal OpenAI-compatible /chat/completions server on loopback, for the endpoint backends' tests."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@contextmanager
def chat_server(reply: Callable[[dict, int], str], piece: int = 4) -> Iterator[tuple[str, list[dict]]]:
    """Serve chat completions whose content is reply(request body, request number), streamed `piece` characters
    an event when the body asks to stream; yields (base URL, requests)."""
    seen: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            seen.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
            if body.get("stream"):
                self._stream(reply(body, len(seen)))
                return
            data = json.dumps({"id": "x", "object": "chat.completion", "usage": {"completion_tokens": 3},
                               "choices": [{"index": 0, "finish_reason": "stop", "message": {
                                   "role": "assistant", "content": reply(body, len(seen))}}]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _stream(self, content: str) -> None:
            """The content as server-sent events, a few characters each (as tokens come), then [DONE]; how
            many characters were sent before the client hung up is added to `seen`."""
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            sent = 0
            try:
                for at in range(0, len(content), piece):
                    chunk = {"choices": [{"index": 0, "delta": {"content": content[at : at + piece]}}]}
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                    sent = min(len(content), at + piece)
                self.wfile.write(b"data: [DONE]\n\n")
            except OSError:  # the client closed the connection
                pass
            seen[-1]["sent"] = sent

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/v1", seen
    finally:
        server.shutdown()
