from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import F, Q
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html
from unfold.admin import ModelAdmin
from unfold.widgets import (
    UnfoldAdminEmailInputWidget,
    UnfoldAdminPasswordWidget,
    UnfoldAdminSelectWidget,
    UnfoldBooleanSwitchWidget,
)

from ytempire.core.admin import ChangedFieldsSaveMixin, ServiceActionMixin
from ytempire.core.exceptions import ApplicationError

from . import services
from .models import GoogleProject, YouTubeAccount
from .services.credentials import project_set_client_secret


def usage_bar(used: int, limit: int) -> str:
    percent = 0 if not limit else min(100, round(used * 100 / limit))
    colour = "#2e7d32" if percent < 60 else ("#f9a825" if percent < 80 else "#c62828")
    return format_html(
        '<div title="{} / {}" style="width:110px;background:#eee;border-radius:3px">'
        '<div style="width:{}%;background:{};height:10px;border-radius:3px"></div></div>{} / {}',
        used,
        limit,
        percent,
        colour,
        used,
        limit,
    )


class GoogleProjectForm(forms.ModelForm):
    client_secret = forms.CharField(
        required=False,
        widget=UnfoldAdminPasswordWidget(render_value=False),
        help_text="Write-only: stored encrypted; leave empty to keep the current secret.",
    )

    class Meta:
        model = GoogleProject
        fields = ["name", "client_id", "upload_limit", "search_limit", "units_limit", "is_sandbox"]

    @cached_property
    def changed_data(self) -> list[str]:
        # The secret is not a model field: it is stored through its service, never by save().
        return [name for name in super().changed_data if name != "client_secret"]


@admin.register(GoogleProject)
class GoogleProjectAdmin(ChangedFieldsSaveMixin, ServiceActionMixin, ModelAdmin):
    """Limits and names are configuration; activation and the buckets are state, changed by actions."""

    form = GoogleProjectForm
    action_object_label = "project"
    list_display = ["name", "client_id", "uploads_bar", "searches_bar", "units_bar", "is_active", "last_reset_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "client_id"]
    readonly_fields = [
        "is_active",
        "uploads_used",
        "searches_used",
        "units_used",
        "last_reset_at",
        "created_at",
        "updated_at",
    ]
    actions = ["reset_quota", "deactivate", "reactivate"]

    @admin.display(description="uploads")
    def uploads_bar(self, obj):
        return usage_bar(obj.uploads_used, obj.upload_limit)

    @admin.display(description="searches")
    def searches_bar(self, obj):
        return usage_bar(obj.searches_used, obj.search_limit)

    @admin.display(description="units")
    def units_bar(self, obj):
        return usage_bar(obj.units_used, obj.units_limit)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        secret = form.cleaned_data.get("client_secret")
        if secret:
            project_set_client_secret(project=obj, client_secret=secret)

    def construct_change_message(self, request, form, formsets, add=False):
        message = super().construct_change_message(request, form, formsets, add)
        if form.cleaned_data.get("client_secret"):
            message.append({"changed": {"fields": ["client secret"]}})
        return message

    @admin.action(description="Reset today's quota buckets", permissions=["change"])
    def reset_quota(self, request, queryset):
        self._each(request, queryset, "Reset the buckets of", lambda p: services.project_reset_quota(project=p))

    @admin.action(description="Deactivate (no uploads or calls)", permissions=["change"])
    def deactivate(self, request, queryset):
        self._each(request, queryset, "Deactivated", lambda p: services.project_deactivate(project=p))

    @admin.action(description="Reactivate", permissions=["change"])
    def reactivate(self, request, queryset):
        self._each(request, queryset, "Reactivated", lambda p: services.project_reactivate(project=p))


class ConnectForm(forms.Form):
    email = forms.EmailField(
        required=False,
        label="Google account (hint)",
        help_text="Pre-selects the account on Google's screen.",
        widget=UnfoldAdminEmailInputWidget,
    )
    is_reserve = forms.BooleanField(required=False, widget=UnfoldBooleanSwitchWidget)
    project = forms.ModelChoiceField(
        queryset=GoogleProject.objects.filter(is_active=True), required=False, widget=UnfoldAdminSelectWidget
    )


def staff_oauth_context(request) -> dict:
    """The context a staff connection carries through OAuth (the same keys videos uses)."""
    return {"kind": "staff", "channel_id": "", "user_id": str(request.user.pk), "redirect_after": ""}


class StateFilter(admin.SimpleListFilter):
    """The state vocabulary of ``account_state``: ok, resting, needs_reconnect, deactivated."""

    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [
            ("ok", "OK"),
            ("resting", "Resting"),
            ("needs_reconnect", "Needs reconnecting"),
            ("deactivated", "Deactivated"),
        ]

    def queryset(self, request, queryset):
        now = timezone.now()
        resting = Q(rested_until__gt=now)
        if self.value() == "ok":
            return queryset.filter(is_active=True, needs_reauth=False).exclude(resting)
        if self.value() == "resting":
            return queryset.filter(resting, is_active=True, needs_reauth=False)
        if self.value() == "needs_reconnect":
            return queryset.filter(needs_reauth=True)
        if self.value() == "deactivated":
            return queryset.filter(is_active=False, needs_reauth=False)
        return queryset


class OwnerFilter(admin.SimpleListFilter):
    """The platform's pool (owner empty) or customers' own channels."""

    title = "owner"
    parameter_name = "owner"

    def lookups(self, request, model_admin):
        return [("platform", "Platform pool"), ("customer", "Customer's own")]

    def queryset(self, request, queryset):
        if self.value() == "platform":
            return queryset.filter(owner__isnull=True)
        if self.value() == "customer":
            return queryset.filter(owner__isnull=False)
        return queryset


# State: moved by workers (counters, with F()) or by the services behind the actions below.
ACCOUNT_STATE_FIELDS = [
    "is_active",
    "deactivated_reason",
    "needs_reauth",
    "rested_until",
    "health_score",
    "daily_upload_cap",
    "uploads_today",
    "quota_used_today",
    "total_uploads",
    "total_errors",
    "consecutive_errors",
    "last_upload_at",
    "last_error_at",
    "last_error",
    "last_health_check_at",
    "last_reset_at",
]


@admin.register(YouTubeAccount)
class YouTubeAccountAdmin(ChangedFieldsSaveMixin, ServiceActionMixin, ModelAdmin):
    """Accounts are connected through OAuth ("Connect YouTube account"); customers connect their own
    (owner set) from the API. The handle, role and sandbox flag are configuration; everything else
    (owner included) is state, changed only by the actions (each calls its service) and saved field
    by field, since workers update the counters concurrently."""

    action_object_label = "account"
    list_display = [
        "__str__",
        "channel_id",
        "owner_label",
        "project",
        "is_reserve",
        "state",
        "health_score",
        "uploads_bar",
        "units_today",
        "consecutive_errors",
        "deactivated_reason",
    ]
    list_filter = [OwnerFilter, StateFilter, "is_reserve", "is_sandbox", "project"]
    search_fields = ["email", "channel_id", "channel_handle", "owner__email"]
    list_select_related = ["project", "owner"]
    ordering = ["is_reserve", F("health_score").desc(nulls_last=True), "channel_handle"]
    fields = [
        "owner",
        "email",
        "project",
        "channel_id",
        "channel_handle",
        "is_reserve",
        "is_sandbox",
        *ACCOUNT_STATE_FIELDS,
        "token_expires_at",
        "created_at",
        "updated_at",
    ]
    readonly_fields = [
        "owner",
        "channel_id",
        *ACCOUNT_STATE_FIELDS,
        "token_expires_at",
        "created_at",
        "updated_at",
    ]
    actions = [
        "reset_quota",
        "deactivate",
        "reactivate",
        "rest",
        "end_rest",
        "reset_upload_cap",
        "run_health_check",
        "reconnect",
    ]

    def get_readonly_fields(self, request, obj=None):
        # The stored token belongs to its project's OAuth client and to its email's channel:
        # moving either means reconnecting (the Connect flow asks for both).
        # A customer's own channel is never a reserve account.
        if obj is not None:
            extra = ["email", "project", *(["is_reserve"] if obj.owner_id else [])]
            return [*self.readonly_fields, *extra]
        return self.readonly_fields

    @admin.display(description="state")
    def state(self, obj):
        return services.account_state(obj)

    @admin.display(description="owner", ordering="owner__email")
    def owner_label(self, obj):
        return obj.owner.email if obj.owner_id else "platform"

    @admin.display(description="uploads today")
    def uploads_bar(self, obj):
        return usage_bar(obj.uploads_today, obj.daily_upload_cap)

    @admin.display(description="units today", ordering="quota_used_today")
    def units_today(self, obj):
        return obj.quota_used_today

    def get_urls(self):
        return [
            path(
                "connect/",
                self.admin_site.admin_view(self.connect_view),
                name="youtube_pool_youtubeaccount_connect",
            ),
            *super().get_urls(),
        ]

    def connect_view(self, request):
        """The "Connect YouTube account" button: start the OAuth flow and send staff to Google."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ConnectForm(request.POST or None, initial=request.GET.dict() or None)
        if request.method == "POST" and form.is_valid():
            try:
                started = services.oauth_start(
                    context=staff_oauth_context(request),
                    login_hint=form.cleaned_data["email"] or "",
                    is_reserve=form.cleaned_data["is_reserve"],
                    project=str(form.cleaned_data["project"].pk) if form.cleaned_data["project"] else None,
                    return_to=reverse("admin:youtube_pool_youtubeaccount_changelist"),
                )
            except ApplicationError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                return HttpResponseRedirect(started["authorization_url"])
        context = {**self.admin_site.each_context(request), "form": form, "title": "Connect YouTube account"}
        return render(request, "admin/youtube_pool/youtubeaccount/connect.html", context)

    @admin.action(description="Reset today's upload and unit counters", permissions=["change"])
    def reset_quota(self, request, queryset):
        self._each(request, queryset, "Reset the counters of", lambda a: services.account_reset_quota(account=a))

    @admin.action(description="Deactivate (take out of rotation)", permissions=["change"])
    def deactivate(self, request, queryset):
        reason = f"deactivated by {request.user.email}"
        self._each(request, queryset, "Deactivated", lambda a: services.account_deactivate(account=a, reason=reason))

    @admin.action(description="Reactivate (refused while it needs reauthorisation)", permissions=["change"])
    def reactivate(self, request, queryset):
        self._each(request, queryset, "Reactivated", lambda a: services.account_reactivate(account=a))

    @admin.action(description="Rest (no uploads for YOUTUBE_REST_HOURS)", permissions=["change"])
    def rest(self, request, queryset):
        self._each(request, queryset, "Resting", lambda a: services.account_rest(account=a))

    @admin.action(description="End rest (uploads allowed again)", permissions=["change"])
    def end_rest(self, request, queryset):
        self._each(request, queryset, "Ended the rest of", lambda a: services.account_end_rest(account=a))

    @admin.action(
        description="Reset learned upload cap (the configured cap for active/reserve)", permissions=["change"]
    )
    def reset_upload_cap(self, request, queryset):
        self._each(request, queryset, "Reset the upload cap of", lambda a: services.account_reset_upload_cap(account=a))

    @admin.action(description="Run a health check now (1 unit each)", permissions=["change"])
    def run_health_check(self, request, queryset):
        for account in queryset.select_related("project"):
            row = services.account_health_check(account=account)
            level = messages.SUCCESS if row["ok"] else messages.WARNING
            self.message_user(request, f"{row['account']}: {'ok' if row['ok'] else row['error']}", level)

    @admin.action(description="Reconnect (OAuth with Google)", permissions=["change"])
    def reconnect(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one account to reconnect.", messages.ERROR)
            return None
        account = queryset.select_related("project").get()
        if account.owner_id is not None:
            self.message_user(
                request, f"{account} is a customer's own channel: only its owner can reconnect it.", messages.ERROR
            )
            return None
        try:
            started = services.oauth_start(
                context=staff_oauth_context(request),
                login_hint=account.email or "",
                is_reserve=account.is_reserve,
                project=str(account.project_id) if account.project_id else None,
                return_to=reverse("admin:youtube_pool_youtubeaccount_changelist"),
            )
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return None
        return HttpResponseRedirect(started["authorization_url"])
