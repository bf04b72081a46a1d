"""The costs app's services (the contracts other apps call). See the modules for details."""

from .budget import budget_date_for, next_budget_day_start
from .errors import BudgetExceededError, CostLimitError, CostValidationError, ReservationClosedError
from .ledger import (
    BudgetStatus,
    cost_budget_paused,
    cost_budget_resumes_at,
    cost_budget_status,
    cost_correct,
    cost_expire_holds,
    cost_ledger_entry_apply,
    cost_record,
    cost_release,
    cost_release_video_holds,
    cost_reserve,
    cost_video_total,
    counters_rebuild,
    db_totals,
    video_costs_backfill,
)
from .pricing import LEVELS, CostEstimate, estimate_video_cost, level_config, rate_table

__all__ = [
    "LEVELS",
    "BudgetExceededError",
    "BudgetStatus",
    "CostEstimate",
    "CostLimitError",
    "CostValidationError",
    "ReservationClosedError",
    "budget_date_for",
    "cost_budget_paused",
    "cost_budget_resumes_at",
    "cost_budget_status",
    "cost_correct",
    "cost_expire_holds",
    "cost_ledger_entry_apply",
    "cost_record",
    "cost_release",
    "cost_release_video_holds",
    "cost_reserve",
    "cost_video_total",
    "counters_rebuild",
    "db_totals",
    "estimate_video_cost",
    "level_config",
    "next_budget_day_start",
    "rate_table",
    "video_costs_backfill",
]
