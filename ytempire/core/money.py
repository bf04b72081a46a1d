"""Money: ``Decimal`` dollars with at most 4 places everywhere, integer micro-dollars in Redis.

The one definition of how a dollar amount is rounded, so the ledger, the pipeline, the webhooks
and the API agree to the last 1/100 of a cent.
"""

from decimal import ROUND_HALF_UP, Decimal

MONEY_PLACES = Decimal("0.0001")
ZERO = Decimal("0.0000")
MICROS = Decimal(1_000_000)


def money(value) -> Decimal:
    """``value`` (Decimal, int or numeric string; never a float) rounded half-up to 4 places."""
    if isinstance(value, float):
        raise TypeError("money amounts are Decimal, never float")
    return Decimal(value).quantize(MONEY_PLACES, rounding=ROUND_HALF_UP)


def to_micros(amount: Decimal) -> int:
    """Dollars (Decimal, at most 4 places) to integer micro-dollars, exactly."""
    return int((Decimal(amount) * MICROS).to_integral_exact())


def from_micros(micros: int) -> Decimal:
    return (Decimal(int(micros)) / MICROS).quantize(MONEY_PLACES)
