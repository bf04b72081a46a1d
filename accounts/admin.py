from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserCreationForm
from django.core.exceptions import ValidationError
from unfold.admin import ModelAdmin
from unfold.forms import AdminPasswordChangeForm, UserChangeForm
from unfold.widgets import UnfoldAdminPasswordWidget

from ytempire.core.admin import ServiceActionMixin

from . import services
from .models import RefreshTokenFamily, Tier, User

# State fields: staff change them through the actions below (each calls its service), never the form.
STATE_FIELDS = ("tier", "channel_limit", "daily_video_limit", "is_active")


class UserCreateForm(UserCreationForm):
    class Meta:
        model = User
        fields = ("email", "full_name", "tier", "role")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("password1", "password2"):
            self.fields[name].widget = UnfoldAdminPasswordWidget(attrs={"autocomplete": "new-password"})

    def clean_email(self):
        email = services.normalize_email(self.cleaned_data["email"])
        if User.objects.filter(email__iexact=email).exists():
            raise ValidationError("A user with this email already exists.")
        return email


class UserPasswordChangeForm(AdminPasswordChangeForm):
    """The admin's "set password" page: a new (or disabled) password revokes every token of the user."""

    def save(self, commit=True):
        if not commit:
            return super().save(commit=False)
        password = self.cleaned_data["password1"] if self.cleaned_data["set_usable_password"] else None
        return services.user_set_password(user=self.user, password=password, reason="password set by staff")


def _tier_action(tier: Tier):
    def set_tier(modeladmin, request, queryset):
        actor = f"staff ({request.user.email})"
        modeladmin._each(
            request,
            queryset,
            f"Set tier {tier.label} on",
            lambda user: services.user_set_tier(user=user, tier=tier.value, actor=actor),
        )

    set_tier.allowed_permissions = ("change",)
    return set_tier


@admin.register(User)
class UserAdmin(ServiceActionMixin, DjangoUserAdmin, ModelAdmin):
    form = UserChangeForm
    add_form = UserCreateForm
    change_password_form = UserPasswordChangeForm
    action_object_label = "user"
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
    actions = ["deactivate_users", "reactivate_users", "revoke_tokens"]

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        if obj is None:  # the add form may choose the new user's tier; user_create sets its limits
            return readonly
        return (*readonly, *STATE_FIELDS)

    def save_model(self, request, obj, form, change):
        if not change:
            created = services.user_create(
                email=form.cleaned_data["email"],
                password=form.cleaned_data.get("password1") or None,
                full_name=form.cleaned_data.get("full_name", ""),
                tier=form.cleaned_data["tier"],
                role=form.cleaned_data["role"],
            )
            # The admin goes on (log entry, redirect) with the row the service created.
            obj.pk = created.pk
            obj.refresh_from_db()
            obj._state.adding = False
            return
        # Only the fields this form changed: billing and workers update the same row meanwhile.
        concrete = {field.name for field in obj._meta.concrete_fields}
        fields = [name for name in form.changed_data if name in concrete]
        if fields:
            obj.save(update_fields=[*fields, "updated_at"])

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not self.has_change_permission(request):
            return actions
        for tier in Tier:
            name = f"set_tier_{tier.value}"
            actions[name] = (_tier_action(tier), name, f"Set tier: {tier.label}")
        return actions

    @admin.action(description="Deactivate (revokes tokens)", permissions=["change"])
    def deactivate_users(self, request, queryset):
        reason = f"deactivated by staff ({request.user.email})"
        self._each(request, queryset, "Deactivated", lambda user: services.user_deactivate(user=user, reason=reason))

    @admin.action(description="Reactivate", permissions=["change"])
    def reactivate_users(self, request, queryset):
        self._each(request, queryset, "Reactivated", lambda user: services.user_reactivate(user=user))

    @admin.action(description="Revoke all tokens", permissions=["change"])
    def revoke_tokens(self, request, queryset):
        reason = f"revoked by staff ({request.user.email})"
        self._each(
            request,
            queryset,
            "Revoked the tokens of",
            lambda user: services.user_revoke_all_tokens(user=user, reason=reason),
        )


@admin.register(RefreshTokenFamily)
class RefreshTokenFamilyAdmin(ModelAdmin):
    list_display = ("id", "user", "created_at", "revoked_at", "revoked_reason")
    list_filter = ("revoked_reason",)
    search_fields = ("user__email", "id")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    readonly_fields = ("id", "user", "created_at", "revoked_at", "revoked_reason")
    show_full_result_count = False

    def has_add_permission(self, request):
        return False
