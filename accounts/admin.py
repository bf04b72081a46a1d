from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserCreationForm

from . import services
from .models import RefreshTokenFamily, Tier, User


class UserCreateForm(UserCreationForm):
    class Meta:
        model = User
        fields = ("email", "full_name", "tier", "role")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    add_form = UserCreateForm
    ordering = ("-created_at",)
    list_display = (
        "email",
        "full_name",
        "role",
        "tier",
        "channel_limit",
        "daily_video_limit",
        "is_active",
        "is_staff",
        "created_at",
    )
    list_filter = ("role", "tier", "is_active", "is_staff", "is_verified")
    search_fields = ("email", "full_name", "stripe_customer_id")
    readonly_fields = (
        "id",
        "created_at",
        "updated_at",
        "last_login",
        "token_version",
        "stripe_customer_id",
        "stripe_subscription_id",
    )
    show_full_result_count = False
    fieldsets = (
        (None, {"fields": ("id", "email", "password")}),
        ("Profile", {"fields": ("full_name", "role", "tier", "channel_limit", "daily_video_limit", "is_verified")}),
        ("Billing", {"fields": ("stripe_customer_id", "stripe_subscription_id")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Audit", {"fields": ("token_version", "last_login", "created_at", "updated_at")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "full_name", "tier", "role", "password1", "password2")}),
    )
    actions = ["deactivate_users", "revoke_tokens"]

    def save_model(self, request, obj, form, change):
        was_active = change and User.objects.filter(pk=obj.pk, is_active=True).exists()
        tier_changed = change and "tier" in form.changed_data
        super().save_model(request, obj, form, change)
        if tier_changed:
            services.user_set_tier(user=obj, tier=obj.tier)
        if was_active and not obj.is_active:
            services.user_revoke_all_tokens(user=obj, reason="deactivated by staff")

    @admin.action(description="Deactivate selected users (revokes their tokens)")
    def deactivate_users(self, request, queryset):
        for user in queryset:
            services.user_deactivate(user=user)
        self.message_user(request, f"Deactivated {queryset.count()} user(s).", messages.SUCCESS)

    @admin.action(description="Revoke all tokens of selected users")
    def revoke_tokens(self, request, queryset):
        for user in queryset:
            services.user_revoke_all_tokens(user=user, reason="revoked by staff")
        self.message_user(request, f"Revoked tokens of {queryset.count()} user(s).", messages.SUCCESS)

    def get_actions(self, request):
        actions = super().get_actions(request)
        for tier in Tier:

            def set_tier(modeladmin, req, queryset, tier=tier):
                for user in queryset:
                    services.user_set_tier(user=user, tier=tier.value)
                modeladmin.message_user(req, f"Moved {queryset.count()} user(s) to {tier.label}.", messages.SUCCESS)

            name = f"set_tier_{tier.value}"
            actions[name] = (set_tier, name, f"Set tier to {tier.label} (limits follow)")
        return actions


@admin.register(RefreshTokenFamily)
class RefreshTokenFamilyAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "created_at", "revoked_at", "revoked_reason")
    list_filter = ("revoked_reason",)
    search_fields = ("user__email", "id")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    readonly_fields = ("id", "user", "created_at", "revoked_at", "revoked_reason")
    show_full_result_count = False

    def has_add_permission(self, request):
        return False
