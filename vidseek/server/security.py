"""Who may call the API and which files it may touch: a token off localhost, only files under the roots,
only loopback host names without a token (DNS rebinding), same-origin writes, and bounded request bodies
(in size and in JSON nesting)."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import HTTPException, Request
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vidseek.errors import BadRequest
from vidseek.paths import Folders
from vidseek.server.bodies import nests_deeper_than

LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}
TOKEN_HEADER = "X-Vidseek-Token"
MIN_TOKEN = 12  # characters; `openssl rand -hex 16` gives 32
MAX_BODY = 64 * 1024  # bytes of a request body: questions, options and paths are small
MAX_DEPTH = 64  # levels of JSON nesting in a request body: the API's need 2, MCP's a handful
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def is_loopback(host: str) -> bool:
    host = host.lower().rstrip(".")
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def host_name(host: str) -> str:
    """The name part of a Host header or URL authority: 'localhost:8000' → 'localhost', '[::1]:80' → '::1'."""
    host = host.strip()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def check_token_strength(token: str) -> None:
    """Refuse tokens a client could guess or that a shell mangled ('', ' ', 'abc')."""
    if not token.strip():
        raise BadRequest("the token is empty: give a long random one, e.g. --token \"$(openssl rand -hex 16)\"")
    if token != token.strip() or any(c.isspace() for c in token):
        raise BadRequest("the token holds spaces: give a long random one, e.g. --token \"$(openssl rand -hex 16)\"")
    if len(token) < MIN_TOKEN:
        raise BadRequest(f"the token is too short ({len(token)} characters, at least {MIN_TOKEN}): "
                         "e.g. --token \"$(openssl rand -hex 16)\"")


@dataclass
class ServerConfig:
    """What a server serves: one library, the folders whose files it may index and play, and its token."""

    library: str | None = None
    store: str | None = None
    roots: list[Path] = field(default_factory=lambda: [Path.cwd()])
    token: str | None = None
    host: str = "127.0.0.1"
    device: str = "auto"
    llm: bool = True  # False: extractive answers only (fast, no model)

    folders: Folders = field(init=False, repr=False)  # the roots as the containment rule holds them

    def __post_init__(self) -> None:
        given = list(self.roots)
        self.roots = [Path(r).resolve() for r in self.roots]
        if not self.roots:
            raise BadRequest("give at least one --root folder to serve")
        missing = [str(r) for r in self.roots if not r.is_dir()]
        if missing:
            raise BadRequest(f"root folder(s) not found: {', '.join(missing)}")
        self.folders = Folders.of(given)
        if self.token is not None:
            check_token_strength(self.token)
        if not self.token and not is_loopback(self.host):
            raise BadRequest(f"serving on {self.host} (reachable from other machines) needs a token: "
                             "--token T or $VIDSEEK_TOKEN")

    def allowed(self, path: str | os.PathLike[str]) -> Path:
        """The real path of a regular file under one of the roots; relative paths are taken from the first.
        The containment rule is vidseek.paths': outside is refused (403) before anything on disk is touched,
        with the same line whether or not the file exists; a name that cannot be resolved is a 400."""
        return self.folders.file(path)

    def _under_roots(self, resolved: Path) -> bool:
        return any(resolved.is_relative_to(root) for root in self.roots)

    def under_roots(self, path: str) -> bool:
        """Whether a path lies under a served root, file or not: a missing file there is gone (404), while of a
        path elsewhere nothing is said, not even whether it exists (403)."""
        try:
            return self._under_roots(Path(path).resolve())
        except (OSError, ValueError, RuntimeError):
            return False

    def playable(self, path: str) -> bool:
        try:
            resolved = Path(path).resolve()
            return resolved.is_file() and self._under_roots(resolved)
        except (OSError, ValueError, RuntimeError):
            return False


def token_refusal(token: str | None, headers: Mapping[str, str], query: Mapping[str, str]) -> tuple[int, str] | None:
    """Why a request without the token is refused (status, message), or None when it may pass: the token
    comes as the X-Vidseek-Token header, a bearer token, or ?token= (media elements cannot send headers).
    `vidseek serve` and `vidseek mcp --http` both ask this, so their rules are one."""
    if not token:
        return None
    given = headers.get(TOKEN_HEADER) or query.get("token")
    auth = headers.get("Authorization", "")
    if not given and auth.lower().startswith("bearer "):
        given = auth[7:].strip()
    if not given:
        return 401, "this server needs a token: send the X-Vidseek-Token header"
    # digests of equal length: the comparison takes the same time whatever was sent
    expected = hashlib.sha256(token.encode()).digest()
    if not hmac.compare_digest(hashlib.sha256(given.encode("utf-8", "replace")).digest(), expected):
        return 403, "wrong token"
    return None


def token_checker(config: ServerConfig):
    """A dependency that lets a request through when it carries the token (header, bearer or ?token=)."""

    def check(request: Request) -> None:
        refused = token_refusal(config.token, request.headers, request.query_params)
        if refused is not None:
            raise HTTPException(*refused)

    return check


class Guard:
    """ASGI middleware run before any route: without a token only loopback Host names are answered (a web
    page whose name rebinds to 127.0.0.1 gets nothing), writes from a page of another origin are refused,
    and request bodies larger than MAX_BODY, not UTF-8 or nesting JSON deeper than MAX_DEPTH are refused
    before anything parses them. The body (at most MAX_BODY) is read here whole and handed on: a refusal is
    this middleware's own answer, never an exception inside an app that would turn it into a 500 (the MCP
    SDK does)."""

    def __init__(self, app: ASGIApp, config: ServerConfig, max_body: int = MAX_BODY, max_depth: int = MAX_DEPTH):
        self.app = app
        self.config = config
        self.max_body = max_body
        self.max_depth = max_depth

    def refusal(self, scope: Scope) -> tuple[int, str] | None:
        headers = Headers(scope=scope)
        host = headers.get("host", "")
        if not self.config.token and not is_loopback(host_name(host)):
            return 403, (f"host '{host}' is not served: without a token this server answers only to "
                         "127.0.0.1, localhost or [::1]")
        origin = headers.get("origin")
        cross = origin is not None and urlsplit(origin).netloc.lower() != host.lower()
        if cross and scope["method"] not in SAFE_METHODS:
            return 403, f"a request from the page of another origin ({origin}) is refused"
        length = headers.get("content-length")
        if length is not None:
            if not length.strip().isdigit():
                return 400, "a malformed Content-Length header"
            if int(length) > self.max_body:
                return 413, f"the request body is too large ({int(length)} bytes; at most {self.max_body})"
        return None

    async def _body(self, receive: Receive) -> tuple[bytes | None, tuple[int, str] | None]:
        """The whole request body (None when the client left first), or why it is refused."""
        chunks: list[bytes] = []
        received = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # http.disconnect: nobody to answer
                return None, None
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > self.max_body:  # a body sent without a length (chunked) is counted as it comes
                return None, (413, f"the request body is too large (more than {self.max_body} bytes)")
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        try:  # JSON between systems is UTF-8 (RFC 8259); the MCP SDK answers other bytes with a 500
            body.decode("utf-8")
        except UnicodeDecodeError as exc:
            return None, (400, f"the request body is not UTF-8 text (byte {exc.start})")
        if nests_deeper_than(body, self.max_depth):
            return None, (400, f"the request body nests JSON deeper than {self.max_depth} levels")
        return body, None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refused = self.refusal(scope)
        body = None
        if refused is None:
            body, refused = await self._body(receive)
        if refused is not None:
            status, message = refused
            await JSONResponse({"error": message}, status)(scope, receive, send)
            return
        if body is None:
            return
        given = False

        async def replay() -> Message:  # the body once, then whatever comes next (http.disconnect)
            nonlocal given
            if given:
                return await receive()
            given = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)
