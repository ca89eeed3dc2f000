"""Bearer tokens of external citizen portals: issued once, stored hashed (R-4.10)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from typing import Any

from sqlalchemy import String, and_, bindparam, select

from webapp.domain.errors import DomainError
from webapp.extensions import db
from webapp.models import ApiClient, Citizen, JobCentre
from webapp.storage.sql import prepared

TOKEN_PREFIX = "jcp_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def issue_client(job_centre: JobCentre, name: str,
                 purpose: str = ApiClient.CITIZEN_PORTAL) -> tuple[ApiClient, str]:
    """A new client and its token; the token is shown this once and never stored."""
    name = (name or "").strip()
    if not name:
        raise DomainError("Giv klienten et navn.", "Give the client a name.", field="name",
                          code="name_missing")
    if db.session.scalar(select(ApiClient.id).where(ApiClient.job_centre_id == job_centre.id,
                                                    ApiClient.name == name)) is not None:
        raise DomainError(f"Der findes allerede en klient med navnet »{name}«.",
                          f"A client named '{name}' already exists.", field="name",
                          code="name_taken")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    client = ApiClient(job_centre_id=job_centre.id, name=name, token_hash=hash_token(token),
                       token_prefix=token[:12], active=True, purpose=purpose)
    db.session.add(client)
    db.session.flush()
    return client, token


@prepared
def _client_by_hash(ids: Any) -> Any:
    return select(ApiClient).where(ApiClient.token_hash == bindparam("digest", type_=String()))


def client_for_token(token: str, purpose: str = ApiClient.CITIZEN_PORTAL) -> ApiClient | None:
    """The active client holding this token for `purpose` (compared by hash, in constant time)."""
    if not token or len(token) > 200:
        return None
    digest = hash_token(token)
    client = db.session.scalar(_client_by_hash(), {"digest": digest})
    if client is None or not client.active or not hmac.compare_digest(client.token_hash, digest):
        return None
    if client.purpose != purpose:
        return None
    return client


@prepared
def _client_with_citizen(ids: Any) -> Any:
    return (select(ApiClient, Citizen)
            .outerjoin(Citizen, and_(Citizen.job_centre_id == ApiClient.job_centre_id,
                                     Citizen.cpr == bindparam("cpr", type_=String())))
            .where(ApiClient.token_hash == bindparam("digest", type_=String())))


def portal_client_with_citizen(token: str, cpr: str | None
                               ) -> tuple[ApiClient | None, Citizen | None]:
    """`client_for_token` for a citizen portal, and the citizen with this CPR number in the
    client's job centre (R-0.1), in one query: every API call of a portal needs both."""
    if not token or len(token) > 200:
        return None, None
    digest = hash_token(token)
    row = db.session.execute(_client_with_citizen(), {"digest": digest, "cpr": cpr}).first()
    if row is None:
        return None, None
    client, citizen = row
    if not client.active or not hmac.compare_digest(client.token_hash, digest) \
            or client.purpose != ApiClient.CITIZEN_PORTAL:
        return None, None
    return client, citizen
