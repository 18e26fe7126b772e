"""Request rates for scripts: token-authenticated API calls are counted per user; the pages' calls are not."""
from __future__ import annotations

from rest_framework.authtoken.models import Token
from rest_framework.throttling import UserRateThrottle


class TokenRateThrottle(UserRateThrottle):
    """API_TOKEN_RATE per user for requests that carry `Authorization: Token ...`.

    A page's own calls (session and CSRF) follow what its user clicks and are left alone. Requests
    with a wrong token never get here: authentication refuses them first, and a token is 160 random
    bits, so guessing one is no threat a rate would help against.
    """

    scope = "token"

    def get_cache_key(self, request, view):
        if not isinstance(request.auth, Token):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}
