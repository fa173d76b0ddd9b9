"""`vidseek serve`: a JSON API and one page to ask a video, click a citation and watch the moment."""

from vidseek.server.app import create_app
from vidseek.server.security import ServerConfig

__all__ = ["ServerConfig", "create_app"]
