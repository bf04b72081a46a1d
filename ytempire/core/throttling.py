"""Rate limits per user (minute, hour, day), stricter for anonymous callers and for auth."""

from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle


class UserMinuteThrottle(UserRateThrottle):
    scope = "user_minute"


class UserHourThrottle(UserRateThrottle):
    scope = "user_hour"


class UserDayThrottle(UserRateThrottle):
    scope = "user_day"


class AnonMinuteThrottle(AnonRateThrottle):
    scope = "anon_minute"


class AuthEndpointThrottle(SimpleRateThrottle):
    """Login and register: per client address, whoever the caller claims to be."""

    scope = "auth"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
