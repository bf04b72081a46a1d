"""Rate limits per user (minute, hour, day), stricter for anonymous callers and for auth."""

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle


class LiveRateMixin:
    """Read the rate from settings on each request (DRF caches it at import), so overrides apply."""

    def get_rate(self):
        return settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][self.scope]


class UserMinuteThrottle(LiveRateMixin, UserRateThrottle):
    scope = "user_minute"


class UserHourThrottle(LiveRateMixin, UserRateThrottle):
    scope = "user_hour"


class UserDayThrottle(LiveRateMixin, UserRateThrottle):
    scope = "user_day"


class AnonMinuteThrottle(LiveRateMixin, AnonRateThrottle):
    scope = "anon_minute"


class AuthEndpointThrottle(LiveRateMixin, SimpleRateThrottle):
    """Login and register: per client address, whoever the caller claims to be."""

    scope = "auth"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
