"""Errors the cost services raise; the API's exception handler renders them (Appendix C shapes)."""

from ytempire.core.exceptions import ApplicationError, ConflictError, PermissionDeniedError


class CostValidationError(ApplicationError):
    status_code = 400
    default_message = "Invalid cost amount"


class CostLimitError(ConflictError):
    """A reservation would take the video past MAX_COST_PER_VIDEO, or the video is stopped."""

    default_message = "Cost limit exceeded"


class BudgetExceededError(PermissionDeniedError):
    """The platform's daily (or monthly) budget would be passed: the platform is paused."""

    default_message = "Daily cost budget reached"


class ReservationClosedError(ConflictError):
    default_message = "Reservation is no longer open"
