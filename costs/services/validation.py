"""Input checks shared by the hold and ledger services: amounts are Decimal dollars, 4 places."""

from decimal import Decimal, InvalidOperation

from ytempire.core.money import MONEY_PLACES

from .errors import CostValidationError

MAX_AMOUNT = Decimal("1000000")


def validate_amount(amount, *, allow_zero: bool, allow_negative: bool = False) -> Decimal:
    """``amount`` as a 4-place Decimal, or CostValidationError saying what is wrong with it."""
    if isinstance(amount, float):
        raise CostValidationError("Amount must be a Decimal, not a float.")
    try:
        value = amount if isinstance(amount, Decimal) else Decimal(str(amount))
    except (InvalidOperation, ValueError, TypeError):
        raise CostValidationError("Amount must be a decimal number of dollars.") from None
    if not value.is_finite():
        raise CostValidationError("Amount must be a finite number.")
    if value != value.quantize(MONEY_PLACES):
        raise CostValidationError("Amount has more than 4 decimal places.")
    if abs(value) >= MAX_AMOUNT:
        raise CostValidationError("Amount is too large.")
    if value < 0 and not allow_negative:
        raise CostValidationError("Amount cannot be negative; record a correction instead.")
    if value == 0 and not allow_zero:
        raise CostValidationError("Amount must be greater than zero.")
    return value.quantize(MONEY_PLACES)


def validate_service(service: str) -> str:
    if not isinstance(service, str) or not service.strip() or len(service) > 50:
        raise CostValidationError("Service must be a non-empty name of at most 50 characters.")
    return service.strip()
