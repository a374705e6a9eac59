"""Opening seller pages in tests: links signed with the tests' secret, and the text of a
page's elements by id, as a browser shows it."""

from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient

from tests.conftest import FIXED_NOW
from trust_signals.config import Settings, load_settings
from trust_signals.web.links import mint_token

SECRET = "page-tests-link-secret"
REFUSED_TITLE = "This link is not valid"


def page_settings(store: Path, config: Path) -> Settings:
    """Settings naming a SQLite store, a config and the tests' link secret."""
    return load_settings(
        {
            "TRUST_SIGNALS_STORE": str(store),
            "TRUST_SIGNALS_CONFIG": str(config),
            "TRUST_SIGNALS_SELLER_LINK_SECRET": SECRET,
        }
    )


def token(seller_id: str, marketplace: str = "US", hours: float = 1.0) -> str:
    return mint_token(SECRET, seller_id, marketplace, FIXED_NOW + timedelta(hours=hours))


def page(client: FlaskClient, seller_id: str, query: str = "", **token_of: Any) -> Any:
    """GET the seller's page with a valid link for it (unless `token_of` says otherwise)."""
    link = token(token_of.get("seller_id", seller_id), token_of.get("marketplace", "US"))
    return client.get(f"/sellers/{seller_id}?marketplace=US&t={link}{query}")


class Texts(HTMLParser):
    """Each element's text by its id, the attributes of every input and of every element."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.by_id: dict[str, str] = {}
        self.inputs: list[dict[str, str | None]] = []
        self.elements: list[tuple[str, dict[str, str | None]]] = []  # (tag, attributes)
        self._open: list[tuple[str, str | None]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.elements.append((tag, found))
        if tag == "input":
            self.inputs.append(found)
            return
        if tag in ("meta", "br", "link"):
            return
        self.handle_data(" ")  # cells and items read apart, as a browser shows them
        self._open.append((tag, found.get("id")))
        if found.get("id"):
            self.by_id[str(found["id"])] = ""

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            if self._open.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        for _, element_id in self._open:
            if element_id:
                self.by_id[element_id] += data

    def text(self, element_id: str) -> str:
        return " ".join(self.by_id[element_id].split())
