"""Publishing actions on the channel and YouTube account admins.

The channel and account admins belong to their apps, which do not know each other; binding one to
the other is a publishing workflow, so its actions are added here (videos is above both) by
extending those admins and registering the extended classes in their place.
"""

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from unfold.widgets import UnfoldAdminSelectWidget

from channels.admin import ChannelAdmin
from channels.models import Channel, ChannelStatus
from youtube_pool.admin import YouTubeAccountAdmin
from youtube_pool.models import YouTubeAccount
from ytempire.core.exceptions import ApplicationError

from . import binding


class PublishingChannelAdmin(ChannelAdmin):
    actions = [*ChannelAdmin.actions, "bind_free_pool_account", "fail_over_to_reserve"]

    @admin.action(description="Bind a free pool account", permissions=["change"])
    def bind_free_pool_account(self, request, queryset):
        actor = f"staff ({request.user.email})"
        self._each(
            request,
            queryset,
            "Bound a pool account to",
            lambda c: binding.channel_bind_free_pool_account(channel_id=c.pk, actor=actor),
        )

    @admin.action(description="Fail over to a reserve account", permissions=["change"])
    def fail_over_to_reserve(self, request, queryset):
        actor = f"staff ({request.user.email})"
        self._each(request, queryset, "Failed over", lambda c: binding.channel_failover(channel_id=c.pk, actor=actor))


class BindToChannelForm(forms.Form):
    channel = forms.ModelChoiceField(
        queryset=Channel.objects.filter(youtube_account__isnull=True)
        .exclude(status__in=[ChannelStatus.ARCHIVED, ChannelStatus.SUSPENDED])
        .select_related("user")
        .order_by("name"),
        widget=UnfoldAdminSelectWidget,
        help_text="Channels not bound to a YouTube account yet.",
    )


class PublishingYouTubeAccountAdmin(YouTubeAccountAdmin):
    actions = [*YouTubeAccountAdmin.actions, "bind_to_channel"]

    def get_urls(self):
        bind = path(
            "<uuid:account_id>/bind/",
            self.admin_site.admin_view(self.bind_view),
            name="youtube_pool_youtubeaccount_bind",
        )
        return [bind, *super().get_urls()]

    @admin.action(description="Bind to channel…", permissions=["change"])
    def bind_to_channel(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one account to bind.", messages.ERROR)
            return None
        return HttpResponseRedirect(reverse("admin:youtube_pool_youtubeaccount_bind", args=[queryset.get().pk]))

    def bind_view(self, request, account_id):
        account = self.get_object(request, str(account_id))
        if account is None or not self.has_change_permission(request, account):
            return HttpResponseRedirect(reverse("admin:youtube_pool_youtubeaccount_changelist"))
        form = BindToChannelForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            channel = form.cleaned_data["channel"]
            try:
                binding.channel_bind_account(
                    channel_id=channel.pk, account_id=account.pk, actor=f"staff ({request.user.email})"
                )
            except ApplicationError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(request, f"Bound {account} to {channel}.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:youtube_pool_youtubeaccount_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Bind {account} to a channel",
            "form": form,
            "opts": self.model._meta,
            "original": account,
        }
        return TemplateResponse(request, "admin/videos/bind_account.html", context)


admin.site.unregister(Channel)
admin.site.register(Channel, PublishingChannelAdmin)
admin.site.unregister(YouTubeAccount)
admin.site.register(YouTubeAccount, PublishingYouTubeAccountAdmin)
