"""Who may call the API and which files it may touch: a token off localhost, and only files under the roots."""

from __future__ import annotations

import hmac
import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import HTTPException, Request

LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}
TOKEN_HEADER = "X-Vidseek-Token"


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


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

    def __post_init__(self) -> None:
        self.roots = [Path(r).resolve() for r in self.roots]
        if not self.roots:
            raise ValueError("give at least one --root folder to serve")
        missing = [str(r) for r in self.roots if not r.is_dir()]
        if missing:
            raise ValueError(f"root folder(s) not found: {', '.join(missing)}")
        if not self.token and not is_loopback(self.host):
            raise ValueError(f"serving on {self.host} (reachable from other machines) needs a token: "
                             "--token T or $VIDSEEK_TOKEN")

    def allowed(self, path: str | os.PathLike[str]) -> Path:
        """The real path of a file under one of the roots; relative paths are taken from the first root.
        Links are followed before the check, so a link inside a root to a file outside it is refused."""
        raw = Path(path)
        resolved = (raw if raw.is_absolute() else self.roots[0] / raw).resolve()
        if not self._under_roots(resolved):
            raise HTTPException(403, f"'{path}' is outside the folders this server may read")
        if not resolved.exists():
            raise HTTPException(404, f"'{path}' does not exist")
        if not resolved.is_file():
            raise HTTPException(400, f"'{path}' is a folder, not a video")
        return resolved

    def _under_roots(self, resolved: Path) -> bool:
        return any(resolved.is_relative_to(root) for root in self.roots)

    def playable(self, path: str) -> bool:
        resolved = Path(path).resolve()
        return resolved.is_file() and self._under_roots(resolved)


def token_checker(config: ServerConfig):
    """A dependency that lets a request through when it carries the token (header, bearer or ?token=).
    Media elements cannot send headers, hence the query parameter."""

    def check(request: Request) -> None:
        if not config.token:
            return
        given = request.headers.get(TOKEN_HEADER) or request.query_params.get("token")
        auth = request.headers.get("Authorization", "")
        if not given and auth.lower().startswith("bearer "):
            given = auth[7:].strip()
        if not given:
            raise HTTPException(401, "this server needs a token: send the X-Vidseek-Token header")
        if not hmac.compare_digest(given.encode(), config.token.encode()):
            raise HTTPException(403, "wrong token")

    return check
