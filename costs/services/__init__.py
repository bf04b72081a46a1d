"""The costs app's services (the contracts other apps call). See the modules for details.

- holds: cost_reserve, cost_release, cost_release_video_holds, cost_expire_holds
- ledger: cost_record (-> RecordedCost), cost_correct, cost_video_total
- counter_sync: counters_rebuild (and the Redis/database bookkeeping)
- pricing: rate_table, estimate_video_cost (learned from the ledger), level_config, the call bounds
- calibration: cost_estimates_calibrate
- maintenance: video_costs_backfill
Reads (budget status, summaries) live in costs.selectors.
"""

from .budget import (
    budget_date_for,
    daily_budget,
    monthly_budget,
    next_budget_day_start,
    video_limit,
    warning_threshold,
)
from .calibration import cost_estimates_calibrate
from .counter_sync import counters_rebuild, db_totals
from .errors import BudgetExceededError, CostLimitError, CostValidationError, ReservationClosedError
from .holds import cost_expire_holds, cost_release, cost_release_video_holds, cost_reserve
from .ledger import RecordedCost, cost_correct, cost_ledger_entry_apply, cost_record, cost_video_total
from .maintenance import video_costs_backfill
from .pricing import (
    LEVELS,
    CostEstimate,
    estimate_video_cost,
    estimate_with_script,
    level_config,
    llm_call_bound,
    rate_table,
    rate_table_forget,
    render_call_bound,
    tts_call_bound,
    unit_call_bound,
)

__all__ = [
    "LEVELS",
    "BudgetExceededError",
    "CostEstimate",
    "CostLimitError",
    "CostValidationError",
    "RecordedCost",
    "ReservationClosedError",
    "budget_date_for",
    "cost_correct",
    "cost_estimates_calibrate",
    "cost_expire_holds",
    "cost_ledger_entry_apply",
    "cost_record",
    "cost_release",
    "cost_release_video_holds",
    "cost_reserve",
    "cost_video_total",
    "counters_rebuild",
    "daily_budget",
    "db_totals",
    "estimate_video_cost",
    "estimate_with_script",
    "level_config",
    "llm_call_bound",
    "monthly_budget",
    "next_budget_day_start",
    "rate_table",
    "rate_table_forget",
    "render_call_bound",
    "tts_call_bound",
    "unit_call_bound",
    "video_costs_backfill",
    "video_limit",
    "warning_threshold",
]
