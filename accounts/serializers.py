from rest_framework import serializers

from ytempire.core.serializers import StrictInputSerializer

from .models import User


class UserOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "full_name",
            "role",
            "tier",
            "is_active",
            "is_verified",
            "channel_limit",
            "daily_video_limit",
            "created_at",
        ]
        read_only_fields = fields


class TokenOutputSerializer(serializers.Serializer):
    access_token = serializers.CharField()
    refresh_token = serializers.CharField()
    token_type = serializers.CharField()
    expires_in = serializers.IntegerField()


class RegisterOutputSerializer(TokenOutputSerializer):
    user = UserOutputSerializer()


class NewPasswordField(serializers.CharField):
    """A password being set: AUTH_PASSWORD_VALIDATORS decide (in the service, reported under this
    field); the schema states their length bounds (``accounts.schema``). 4096 only caps the body."""

    def __init__(self, **kwargs):
        # allow_blank: a blank password is the validators' "too short", like any other short one.
        kwargs.setdefault("allow_blank", True)
        super().__init__(max_length=4096, trim_whitespace=False, style={"input_type": "password"}, **kwargs)


class RegisterInputSerializer(StrictInputSerializer):
    email = serializers.EmailField(max_length=255)
    password = NewPasswordField()
    full_name = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class LoginInputSerializer(StrictInputSerializer):
    email = serializers.EmailField(max_length=255)
    password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})


class RefreshInputSerializer(StrictInputSerializer):
    refresh_token = serializers.CharField()


class ProfileUpdateInputSerializer(StrictInputSerializer):
    full_name = serializers.CharField(max_length=255, allow_blank=True)


class PasswordChangeInputSerializer(StrictInputSerializer):
    current_password = serializers.CharField(max_length=4096, trim_whitespace=False)
    new_password = NewPasswordField()
