"""Sign-in throttling with two limits (django-axes, AXES_HANDLER).

axes compares every lockout parameter set of AXES_LOCKOUT_PARAMETERS against one AXES_FAILURE_LIMIT. The hall needs
two: an account guessed at from one address is locked after LOGIN_FAILURE_LIMIT failures (5), while the address
alone — every account tried from it — only after LOGIN_FAILURE_LIMIT_PER_ADDRESS (30), because the clerks of a
hall often share one address and a few typos must not lock out the whole hall. That second limit stops password
spraying (one guess for each of many accounts), which the per-account limit never sees.

A successful sign-in clears only that account's failures at that address: clearing the address's count too would let
a sprayer who knows one password reset the limit between guesses.
"""

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_parameters, get_client_username, get_failure_limit
from django.conf import settings


class LoginLimits(AxesDatabaseHandler):
    def _labelled_attempts(self, request, credentials):
        """(is the address-alone set, the attempts counted for it) for each lockout parameter set."""
        params = get_client_parameters(
            get_client_username(request, credentials),
            request.axes_ip_address,
            request.axes_user_agent,
            request,
            credentials,
        )
        attempts = self.get_user_attempts(request, credentials)
        return [(set(p) == {"ip_address"}, counted) for p, counted in zip(params, attempts, strict=True)]

    def get_failures(self, request, credentials=None) -> int:
        """The failures that count, scaled so that axes's one comparison against AXES_FAILURE_LIMIT applies the
        address's own limit to the address-alone count."""
        limit = get_failure_limit(request, credentials)
        per_address = max(1, int(getattr(settings, "LOGIN_FAILURE_LIMIT_PER_ADDRESS", 30)))
        worst = 0
        for address_only, attempts in self._labelled_attempts(request, credentials):
            count = sum(attempts.values_list("failures_since_start", flat=True))
            if address_only:
                count = limit if count >= per_address else min(count, limit - 1)
            worst = max(worst, count)
        return worst

    def reset_user_attempts(self, request, credentials=None) -> int:
        count = 0
        for address_only, attempts in self._labelled_attempts(request, credentials):
            if not address_only:
                count += attempts.delete()[0]
        return count
