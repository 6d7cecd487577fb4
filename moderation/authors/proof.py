"""Whether a post proves its address, and what that changes before the post is stored."""

from __future__ import annotations

from ..domain import Site
from ..errors import Invalid
from ..identity import IPAddress
from ..ratelimit.policy import network_key
from ..schemas import Submission, split_url
from . import links


def author_limit_key(
    secret_key: bytes,
    site_id: int,
    email_hash: bytes,
    submission: Submission,
    client_ip: IPAddress | None,
) -> str:
    """The per-author limit's key. A post signed for its address (an author token we issued
    for it) counts against the address itself; any other post only against the address from
    its own network, so a stranger typing someone's address cannot lock them out."""
    author = f"author:{email_hash.hex()}"
    if links.author_token_signed_for(secret_key, site_id, email_hash, submission.author_token):
        return author
    return f"{author}:{network_key(client_ip) if client_ip is not None else 'unknown'}"


def token_to_check(
    secret_key: bytes, site_id: int, email_hash: bytes, token: str | None
) -> bytes | None:
    """The hash to look the post's author token up by, when its signature is for this address;
    None when no lookup could prove the address (no token, or one signed for another)."""
    if not links.author_token_signed_for(secret_key, site_id, email_hash, token):
        return None
    assert token is not None
    return links.token_hash(token)


def check_page_url(site: Site, page_url: str | None) -> None:
    """A comment's page must be on one of the site's origins (mails link to it)."""
    if page_url is None:
        return
    parts = split_url(page_url)
    origin = None if parts is None else f"{parts.scheme.lower()}://{parts.netloc.lower()}"
    if origin not in site.origins:
        raise Invalid.one("page_url", "must be a page on one of the site's origins")
