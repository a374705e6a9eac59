"""Signed seller links: a token opens its own seller's page in its marketplace until it
expires, and nothing else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from trust_signals.api.access_log import redacted_query
from trust_signals.web.links import (
    LinkRefused,
    SellerLink,
    check_token,
    mint_token,
    parse_ttl,
    seller_page_url,
)

SECRET = "a-test-secret-of-some-length"
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
IN_AN_HOUR = NOW + timedelta(hours=1)


def test_a_token_opens_its_sellers_page_in_its_marketplace_until_it_expires() -> None:
    token = mint_token(SECRET, "S-1", "US", IN_AN_HOUR)

    assert check_token(SECRET, token, "S-1", "US", NOW) == SellerLink("S-1", "US", IN_AN_HOUR)
    assert check_token(SECRET, token, "S-1", "US", IN_AN_HOUR - timedelta(seconds=1))


@pytest.mark.parametrize(
    ("token_of", "asked", "reason"),
    [
        (("S-1", "US", SECRET), ("S-2", "US"), "another seller's"),
        (("S-1", "US", SECRET), ("S-1", "DE"), "another seller's or marketplace's"),
        (("S-1", "US", SECRET), ("S-1", None), "another seller's or marketplace's"),
        (("S-1", "US", "another-secret-entirely"), ("S-1", "US"), "bad token: BadTimeSignature"),
    ],
    ids=["other-seller", "other-marketplace", "no-marketplace", "forged"],
)
def test_a_token_opens_no_other_page(
    token_of: tuple[str, str, str], asked: tuple[str, str | None], reason: str
) -> None:
    seller_id, marketplace, secret = token_of
    token = mint_token(secret, seller_id, marketplace, IN_AN_HOUR)

    with pytest.raises(LinkRefused, match=reason):
        check_token(SECRET, token, *asked, NOW)


def test_an_expired_token_is_refused() -> None:
    token = mint_token(SECRET, "S-1", "US", IN_AN_HOUR)

    with pytest.raises(LinkRefused, match="expired"):
        check_token(SECRET, token, "S-1", "US", IN_AN_HOUR)


def test_a_tampered_token_is_refused() -> None:
    token = mint_token(SECRET, "S-1", "US", IN_AN_HOUR)
    payload, rest = token.split(".", 1)
    other = mint_token(SECRET, "S-2", "US", IN_AN_HOUR).split(".", 1)[0]

    with pytest.raises(LinkRefused, match="bad token"):
        check_token(SECRET, f"{other}.{rest}", "S-2", "US", NOW)
    with pytest.raises(LinkRefused, match="bad token"):
        check_token(SECRET, payload[:-2] + "." + rest, "S-1", "US", NOW)


@pytest.mark.parametrize("token", [None, ""], ids=["absent", "empty"])
def test_no_token_opens_nothing(token: str | None) -> None:
    with pytest.raises(LinkRefused, match="no token"):
        check_token(SECRET, token, "S-1", "US", NOW)


def test_without_a_secret_every_token_is_refused_and_the_log_line_says_why() -> None:
    token = mint_token(SECRET, "S-1", "US", IN_AN_HOUR)

    with pytest.raises(LinkRefused, match="TRUST_SIGNALS_SELLER_LINK_SECRET is not set"):
        check_token(None, token, "S-1", "US", NOW)


def test_the_url_names_the_page_the_marketplace_and_a_token_for_both() -> None:
    url = seller_page_url("http://127.0.0.1:8080/", SECRET, "S-1", "US", IN_AN_HOUR)

    parts = urlsplit(url)
    query = parse_qs(parts.query)
    assert (parts.scheme, parts.netloc, parts.path) == ("http", "127.0.0.1:8080", "/sellers/S-1")
    assert query["marketplace"] == ["US"]
    assert check_token(SECRET, query["t"][0], "S-1", "US", NOW).expires_at == IN_AN_HOUR


@pytest.mark.parametrize(
    ("text", "ttl"),
    [
        ("30m", timedelta(minutes=30)),
        ("1h", timedelta(hours=1)),
        ("2d", timedelta(days=2)),
        ("30d", timedelta(days=30)),
        (" 12h ", timedelta(hours=12)),
    ],
)
def test_a_ttl_is_minutes_hours_or_days(text: str, ttl: timedelta) -> None:
    assert parse_ttl(text) == ttl


@pytest.mark.parametrize("text", ["90s", "0h", "31d", "1.5h", "h", "1 h", "2w", "-1d", ""])
def test_any_other_ttl_is_refused_naming_the_forms_it_takes(text: str) -> None:
    with pytest.raises(ValueError, match=r"such as 30m, 1h or 2d, at most 30d"):
        parse_ttl(text)


def test_the_access_log_never_holds_a_link_token() -> None:
    assert redacted_query("marketplace=US&t=abc.def.ghi&window=30d") == (
        "marketplace=US&t=[redacted]&window=30d"
    )
    assert redacted_query("t=abc&marketplace=US") == "t=[redacted]&marketplace=US"
    assert redacted_query("offer_ids=at=1") == "offer_ids=at=1"
