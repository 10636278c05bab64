"""What a token is checked against, kept in the cache so an API request reads no user row.

A JWT stays valid only while its user is active, its password-derived claim
matches the current password and its sign-out generation is the current one.
Those three facts are a user's ``CredentialState``. It is cached (the shared
cache, Redis in production) under the user's id, and every change to one of
them replaces the cached copy (``refresh_credential_state``): saving a user,
deleting one, "sign out everywhere". So a revocation still ends tokens at once,
in every web process.

Cache races: a reader fills the cache only with ``add`` (never over an
existing entry), and a change writes the fresh state with ``set`` once its
transaction has committed, so a reader that fetched the old state just before
the commit cannot put it back. While the cache is unreachable nothing is
cached: every request reads the database, as it did before (correct, slower),
rather than trusting one process's memory that another process's sign-out
cannot reach.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from rest_framework_simplejwt.utils import get_md5_hash_password

from scheduler_site.lib.components import CACHE, CACHE_ERRORS

logger = logging.getLogger(__name__)

# A bound on how long an entry could outlive a change the cache missed (it was
# unreachable when the change was written); normally changes replace it at once.
CREDENTIAL_STATE_SECONDS = 60


@dataclass(frozen=True)
class CredentialState:
    is_active: bool
    revoke_claim: str  # simplejwt's hash of the password hash, as tokens carry it
    generation: int


def credential_state(user_id) -> CredentialState | None:
    """The user's state, from the cache or (once) from the database; None: no such user."""
    key = _key(user_id)
    cached = _cache_call(cache.get, key)
    if cached is not None:
        return CredentialState(*cached)
    state = _load(user_id)
    if state is not None:
        _cache_call(cache.add, key, _as_entry(state), CREDENTIAL_STATE_SECONDS)
    return state


def refresh_credential_state(user_id) -> None:
    """A credential changed: drop the cached state now, and write the committed one
    after the transaction commits (at once outside a transaction)."""
    _cache_call(cache.delete, _key(user_id))
    transaction.on_commit(lambda: _store_committed(user_id))


def _store_committed(user_id) -> None:
    state = _load(user_id)
    if state is None:
        _cache_call(cache.delete, _key(user_id))
    else:
        _cache_call(cache.set, _key(user_id), _as_entry(state), CREDENTIAL_STATE_SECONDS)


def _load(user_id) -> CredentialState | None:
    """One query: the user's row and their sign-out generation."""
    row = (
        get_user_model()
        .objects.filter(pk=user_id)
        .values("is_active", "password", "auth_state__generation")
        .first()
    )
    if row is None:
        return None
    return CredentialState(
        is_active=row["is_active"],
        revoke_claim=get_md5_hash_password(row["password"]),
        generation=row["auth_state__generation"] or 0,
    )


def _as_entry(state: CredentialState) -> tuple:
    # A plain tuple pickles smaller and loads faster than the dataclass.
    return (state.is_active, state.revoke_claim, state.generation)


def _key(user_id) -> str:
    return f"accounts:credentials:{user_id}"


def _cache_call(method, *args):
    if CACHE.should_skip():
        return None
    try:
        result = method(*args)
    except CACHE_ERRORS as exc:
        CACHE.failed(exc)
        return None
    CACHE.recovered()
    return result
