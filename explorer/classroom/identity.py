"""Who owns what: the secret session token versus the public owner id.

A browser tab holds a *session token* (128 random bits, kept in `st.session_state` and, unless
classroom.toml says otherwise, in the `?sid=` of its own address bar so a reload finds its run). The
token is a secret: whoever holds it is that session. Everything written down or shown to other
sessions — a run's `owner` in run.json, upload folder names, the job registry's keys, the teacher's
job list — uses the *owner id* instead, a one-way hash of the token. Knowing an owner id gives no way
back to the token, so reading a published run's configuration no longer hands over its author's session.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

OWNER_PREFIX = "o-"
_DOMAIN = b"bert-explorer owner id v1\0"  # a fixed prefix, so the hash is used for nothing else
_TOKEN_RE = re.compile(r"[0-9a-f]{32}")
_OWNER_RE = re.compile(r"o-[0-9a-f]{24}")


def is_session_token(value: object) -> bool:
    """True for a string shaped like a session token (32 lowercase hex digits)."""
    return isinstance(value, str) and bool(_TOKEN_RE.fullmatch(value))


def is_owner_id(value: object) -> bool:
    return isinstance(value, str) and bool(_OWNER_RE.fullmatch(value))


def owner_id(token: str) -> str:
    """The public owner id of session `token`: `o-` and 96 bits of SHA-256 over a fixed domain prefix.

    Deterministic, so a session restored from its token after a server restart owns its runs again;
    one-way, so the id cannot be turned back into the token (the token has 128 random bits: nothing to
    brute-force).

    Raises:
        ValueError: `token` is not a session token.
    """
    if not is_session_token(token):
        raise ValueError("not a session token")
    return OWNER_PREFIX + hashlib.sha256(_DOMAIN + token.encode()).hexdigest()[:24]


def scrub_legacy_owner(info: dict[str, Any]) -> dict[str, Any] | None:
    """run.json written before owner ids stored the session token itself as `owner` (and in upload
    paths). Returns `info` with every occurrence of that token replaced by its owner id, or None when
    there is nothing to replace."""
    token = info.get("owner")
    if not is_session_token(token):
        return None
    public = owner_id(token)

    def scrub(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace(token, public)
        if isinstance(value, list):
            return [scrub(v) for v in value]
        if isinstance(value, dict):
            return {k: scrub(v) for k, v in value.items()}
        return value

    return scrub(info)
