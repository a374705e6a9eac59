"""`trust-signals seller-link` through click's runner: the URL it prints opens the seller's
page for as long as asked, and every wrong option is refused in one plain line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.integration.test_cli import invoke, refused
from trust_signals.web.links import LinkRefused, check_token

pytestmark = pytest.mark.integration
SECRET = "cli-tests-link-secret"
ENV = {"TRUST_SIGNALS_SELLER_LINK_SECRET": SECRET}


def minted(*options: str) -> tuple[str, datetime]:
    """The URL the command prints, and when it was asked for."""
    asked_at = datetime.now(UTC)
    result = invoke(ENV, "seller-link", *options)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    return result.stdout.strip(), asked_at


def test_the_link_opens_the_sellers_page_in_its_marketplace_for_the_ttl() -> None:
    url, asked_at = minted("US-S0000260", "--marketplace", "US", "--ttl", "30m")

    parts = urlsplit(url)
    query = parse_qs(parts.query)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == (
        "http://127.0.0.1:8080/sellers/US-S0000260"
    )
    assert query["marketplace"] == ["US"]
    link = check_token(SECRET, query["t"][0], "US-S0000260", "US", asked_at)
    lifetime = link.expires_at - asked_at
    assert timedelta(minutes=29) < lifetime <= timedelta(minutes=30)
    with pytest.raises(LinkRefused, match="expired"):
        check_token(SECRET, query["t"][0], "US-S0000260", "US", asked_at + timedelta(minutes=31))


def test_the_base_url_names_where_sellers_reach_the_service() -> None:
    url, _ = minted("S-1", "--marketplace", "DE", "--base-url", "https://sellers.example/")

    assert url.startswith("https://sellers.example/sellers/S-1?marketplace=DE&t=")


def test_the_default_lifetime_is_an_hour() -> None:
    url, asked_at = minted("S-1", "--marketplace", "US")

    token = parse_qs(urlsplit(url).query)["t"][0]
    lifetime = check_token(SECRET, token, "S-1", "US", asked_at).expires_at - asked_at
    assert timedelta(minutes=59) < lifetime <= timedelta(hours=1)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            ["S-1", "--marketplace", "US", "--ttl", "90s"],
            "Invalid value for '--ttl': must be a whole number of minutes, hours or days such "
            "as 30m, 1h or 2d, at most 30d; got '90s'",
        ),
        (
            ["S-1", "--marketplace", "US", "--ttl", "45d"],
            "Invalid value for '--ttl': must be a whole number of minutes, hours or days such "
            "as 30m, 1h or 2d, at most 30d; got '45d'",
        ),
        (
            ["S 1", "--marketplace", "US"],
            "Invalid value for SELLER_ID: an id is 1-64 characters of A-Z a-z 0-9 . _ - "
            "starting with a letter or digit",
        ),
        (
            ["S-1", "--marketplace", "usa"],
            "Invalid value for --marketplace: must be two upper-case letters",
        ),
        (["S-1"], "Missing option '--marketplace'."),
    ],
    ids=["ttl-seconds", "ttl-too-long", "seller-id", "marketplace", "no-marketplace"],
)
def test_a_wrong_option_is_a_usage_error_naming_it(options: list[str], message: str) -> None:
    lines = refused(invoke(ENV, "seller-link", *options), exit_code=2)

    assert lines[-1] == f"Error: {message}"


def test_without_a_secret_the_command_says_which_setting_to_set() -> None:
    lines = refused(invoke({}, "seller-link", "S-1", "--marketplace", "US"))

    assert lines == [
        "error: TRUST_SIGNALS_SELLER_LINK_SECRET is not set: set it to the secret the server "
        "uses (at least 16 characters, e.g. `openssl rand -hex 32`)"
    ]


def test_a_short_secret_is_refused_by_the_settings() -> None:
    lines = refused(
        invoke(
            {"TRUST_SIGNALS_SELLER_LINK_SECRET": "short"},
            "seller-link",
            "S-1",
            "--marketplace",
            "US",
        )
    )

    assert lines == [
        "error: TRUST_SIGNALS_SELLER_LINK_SECRET: must be at least 16 characters, got 5 "
        "(e.g. `openssl rand -hex 32`)"
    ]


def test_the_help_names_the_setting() -> None:
    result = invoke({}, "--help")

    assert "TRUST_SIGNALS_SELLER_LINK_SECRET" in result.output
    assert "seller-link" in result.output
