"""Shared admin helpers."""

from django.contrib import messages

from .exceptions import ApplicationError


class ReadOnlyAdminMixin:
    """Rows the admin shows and never adds, edits or deletes (ledgers, logs, events, projections):
    they change through their services only."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ChangedFieldsSaveMixin:
    """Save only the fields the form changed, so a worker's concurrent status or total update is
    not overwritten by the stale values of an open change form."""

    def save_model(self, request, obj, form, change):
        if change and form.changed_data:
            obj.save(update_fields=[*form.changed_data, "updated_at"])
        elif not change:
            super().save_model(request, obj, form, change)


class ServiceActionMixin:
    """Admin actions that call a service per selected row and report what happened."""

    action_object_label = "object"

    def _each(self, request, queryset, label, func):
        """Run ``func(obj)`` for each row; a refused row (ApplicationError) is reported, not fatal."""
        done, failed = 0, []
        for obj in queryset:
            try:
                func(obj)
                done += 1
            except ApplicationError as exc:
                failed.append(f"{obj}: {exc.message}")
        if done:
            self.message_user(request, f"{label} {done} {self.action_object_label}(s).", messages.SUCCESS)
        for line in failed:
            self.message_user(request, line, messages.ERROR)
