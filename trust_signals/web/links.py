"""Signed, expiring links to a seller's own page: minted by `trust-signals seller-link`,
checked by the page before it reads anything.

A link's token binds the seller id, the marketplace and the moment it expires, signed with
TRUST_SIGNALS_SELLER_LINK_SECRET (itsdangerous, HMAC-SHA1 over a derived key). Each link
carries its own expiry, so one secret serves links of any lifetime up to MAX_TTL; the
serializer's own signing time also holds every token to MAX_TTL, so even a clock set wrong
where a link was minted cannot make one last longer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final
from urllib.parse import quote, urlencode

from itsdangerous import BadData, URLSafeTimedSerializer

MAX_TTL: Final = timedelta(days=30)
_SALT: Final = "trust-signals.seller-page"
_TTL: Final = re.compile(r"([1-9][0-9]{0,5})([mhd])")
_UNITS: Final = {"m": "minutes", "h": "hours", "d": "days"}


class LinkRefused(Exception):
    """A token that opens nothing: missing, forged, expired, or for another page.

    The reason goes to the log only; the visitor learns that the link is not valid.
    """


@dataclass(frozen=True, slots=True)
class SellerLink:
    """Whose page a valid token opens, and until when (aware UTC)."""

    seller_id: str
    marketplace: str
    expires_at: datetime


def parse_ttl(text: str) -> timedelta:
    """A link lifetime such as '30m', '1h' or '2d'; ValueError naming the accepted forms."""
    found = _TTL.fullmatch(text.strip())
    ttl = None
    if found is not None:
        ttl = timedelta(**{_UNITS[found[2]]: int(found[1])})
    if ttl is None or ttl > MAX_TTL:
        raise ValueError(
            f"must be a whole number of minutes, hours or days such as 30m, 1h or 2d, "
            f"at most {MAX_TTL.days}d; got {text!r}"
        )
    return ttl


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=_SALT)


def mint_token(secret: str, seller_id: str, marketplace: str, expires_at: datetime) -> str:
    """A URL-safe token opening `seller_id`'s page in `marketplace` until `expires_at`."""
    payload = {"s": seller_id, "m": marketplace, "e": int(expires_at.timestamp())}
    return _serializer(secret).dumps(payload)


def seller_page_url(
    base_url: str, secret: str, seller_id: str, marketplace: str, expires_at: datetime
) -> str:
    """The full URL of the seller's page, its token in `t`."""
    token = mint_token(secret, seller_id, marketplace, expires_at)
    query = urlencode({"marketplace": marketplace, "t": token})
    return f"{base_url.rstrip('/')}/sellers/{quote(seller_id, safe='')}?{query}"


def check_token(
    secret: str | None, token: str | None, seller_id: str, marketplace: str | None, now: datetime
) -> SellerLink:
    """The link `token` stands for, if it opens this seller's page in this marketplace now;
    LinkRefused (with the reason, for the log) otherwise."""
    if secret is None:
        raise LinkRefused("TRUST_SIGNALS_SELLER_LINK_SECRET is not set: seller pages are off")
    if not token:
        raise LinkRefused("no token")
    try:
        payload = _serializer(secret).loads(token, max_age=int(MAX_TTL.total_seconds()))
    except BadData as error:
        raise LinkRefused(f"bad token: {type(error).__name__}") from None
    if not isinstance(payload, dict) or not {"s", "m", "e"} <= payload.keys():
        raise LinkRefused("bad token: not a seller link")
    expires_at = datetime.fromtimestamp(int(payload["e"]), tz=now.tzinfo)
    if now >= expires_at:
        raise LinkRefused(f"expired at {expires_at.isoformat()}")
    if payload["s"] != seller_id or payload["m"] != marketplace:
        raise LinkRefused("the token opens another seller's or marketplace's page")
    return SellerLink(payload["s"], payload["m"], expires_at)
