from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.html import format_html

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
        widget=forms.PasswordInput(render_value=False),
        help_text="Write-only: stored encrypted; leave empty to keep the current secret.",
    )

    class Meta:
        model = GoogleProject
        fields = ["name", "client_id", "upload_limit", "search_limit", "units_limit", "is_active", "is_sandbox"]


@admin.register(GoogleProject)
class GoogleProjectAdmin(admin.ModelAdmin):
    form = GoogleProjectForm
    list_display = ["name", "client_id", "uploads_bar", "searches_bar", "units_bar", "is_active", "last_reset_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "client_id"]
    readonly_fields = ["uploads_used", "searches_used", "units_used", "last_reset_at", "created_at", "updated_at"]
    actions = ["reset_quota"]

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

    @admin.action(description="Reset today's quota buckets")
    def reset_quota(self, request, queryset):
        for project in queryset:
            services.project_reset_quota(project=project)
        self.message_user(request, f"Reset the buckets of {queryset.count()} project(s).", messages.SUCCESS)


class ConnectForm(forms.Form):
    email = forms.EmailField()
    is_reserve = forms.BooleanField(required=False)
    project = forms.ModelChoiceField(queryset=GoogleProject.objects.filter(is_active=True), required=False)


class StateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("resting", "Resting"), ("needs_reauth", "Needs reauthorisation")]

    def queryset(self, request, queryset):
        from django.utils import timezone

        if self.value() == "resting":
            return queryset.filter(rested_until__gt=timezone.now())
        if self.value() == "needs_reauth":
            return queryset.filter(needs_reauth=True)
        return queryset


@admin.register(YouTubeAccount)
class YouTubeAccountAdmin(admin.ModelAdmin):
    list_display = [
        "email",
        "project",
        "channel_handle",
        "state",
        "health_score",
        "uploads_bar",
        "units_today",
        "consecutive_errors",
        "deactivated_reason",
        "reauth_flag",
    ]
    list_filter = ["is_active", "is_reserve", "needs_reauth", StateFilter, "project"]
    search_fields = ["email", "channel_id", "channel_handle"]
    list_select_related = ["project"]
    ordering = ["is_reserve", F("health_score").desc(nulls_last=True), "email"]
    fields = [
        "email",
        "project",
        "channel_id",
        "channel_handle",
        "is_active",
        "is_reserve",
        "is_sandbox",
        "daily_upload_cap",
        "rested_until",
        "deactivated_reason",
        "needs_reauth",
        "health_score",
        "token_expires_at",
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
        "created_at",
        "updated_at",
    ]
    readonly_fields = [
        "channel_id",
        "health_score",
        "token_expires_at",
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
        "needs_reauth",
        "created_at",
        "updated_at",
    ]
    actions = ["reset_quota", "deactivate", "reactivate", "run_health_check", "reconnect"]

    @admin.display(description="state")
    def state(self, obj):
        return services.account_state(obj)

    @admin.display(description="uploads today")
    def uploads_bar(self, obj):
        return usage_bar(obj.uploads_today, obj.daily_upload_cap)

    @admin.display(description="units today", ordering="quota_used_today")
    def units_today(self, obj):
        return obj.quota_used_today

    @admin.display(description="reauth", boolean=True)
    def reauth_flag(self, obj):
        return obj.needs_reauth

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
                url = services.oauth_start(
                    email=form.cleaned_data["email"],
                    is_reserve=form.cleaned_data["is_reserve"],
                    project=str(form.cleaned_data["project"].pk) if form.cleaned_data["project"] else None,
                    started_by=request.user,
                    return_to=reverse("admin:youtube_pool_youtubeaccount_changelist"),
                )
            except ApplicationError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                return HttpResponseRedirect(url)
        context = {**self.admin_site.each_context(request), "form": form, "title": "Connect YouTube account"}
        return render(request, "admin/youtube_pool/youtubeaccount/connect.html", context)

    def _each(self, request, queryset, action, done: str):
        ok = 0
        for account in queryset:
            try:
                action(account)
                ok += 1
            except ApplicationError as exc:
                self.message_user(request, f"{account.email}: {exc.message}", messages.ERROR)
        if ok:
            self.message_user(request, f"{done}: {ok} account(s).", messages.SUCCESS)

    @admin.action(description="Reset today's upload and unit counters")
    def reset_quota(self, request, queryset):
        self._each(request, queryset, lambda a: services.account_reset_quota(account=a), "Counters reset")

    @admin.action(description="Deactivate (take out of rotation)")
    def deactivate(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda a: services.account_deactivate(account=a, reason=f"deactivated by {request.user.email}"),
            "Deactivated",
        )

    @admin.action(description="Reactivate")
    def reactivate(self, request, queryset):
        self._each(request, queryset, lambda a: services.account_reactivate(account=a), "Reactivated")

    @admin.action(description="Run a health check now (1 unit each)")
    def run_health_check(self, request, queryset):
        for account in queryset.select_related("project"):
            row = services.account_health_check(account=account)
            level = messages.SUCCESS if row["ok"] else messages.WARNING
            self.message_user(request, f"{row['email']}: {'ok' if row['ok'] else row['error']}", level)

    @admin.action(description="Reconnect (OAuth with Google)")
    def reconnect(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one account to reconnect.", messages.ERROR)
            return None
        account = queryset.select_related("project").get()
        try:
            url = services.oauth_start(
                email=account.email,
                is_reserve=account.is_reserve,
                project=str(account.project_id) if account.project_id else None,
                started_by=request.user,
                return_to=reverse("admin:youtube_pool_youtubeaccount_changelist"),
            )
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return None
        return HttpResponseRedirect(url)
