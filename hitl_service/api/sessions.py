"""Flask sessions only where a browser can have one: signed API requests never open a cookie session."""

from __future__ import annotations

from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

_SIGV4_PREFIX = "AWS4-HMAC-SHA256 "


class UnsavedSession(SecureCookieSession):
    """An empty session that is never read from or written to a cookie (SigV4 API requests)."""


class ApiAwareSessionInterface(SecureCookieSessionInterface):
    """Cookie sessions for the review pages and console; none for requests signed with SigV4."""

    # Flask skips save_session for the null session class; unlike Flask's NullSession this one can be
    # written to, so a signed request that lands on a page route is answered normally, not with a 500.
    null_session_class = UnsavedSession

    def open_session(self, app, request):
        """Skip cookie parsing and signer set-up for SigV4-signed requests: the APIs never use a session."""
        if request.headers.get("Authorization", "").startswith(_SIGV4_PREFIX):
            return None  # Flask then uses make_null_session(), an UnsavedSession
        return super().open_session(app, request)
