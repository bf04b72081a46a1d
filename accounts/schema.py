"""drf-spectacular: our JWT authentication as the bearer scheme, and what a new password must be."""

from django.contrib.auth import password_validation
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.extensions import OpenApiSerializerFieldExtension


class VersionedJWTScheme(SimpleJWTScheme):
    target_class = "accounts.authentication.VersionedJWTAuthentication"
    name = "jwtAuth"


def password_length_bounds() -> tuple[int | None, int | None]:
    """(min, max) characters from AUTH_PASSWORD_VALIDATORS, as the service applies them."""
    minimum = maximum = None
    for validator in password_validation.get_default_password_validators():
        minimum = getattr(validator, "min_length", minimum)
        maximum = getattr(validator, "max_length", maximum)
    return minimum, maximum


class NewPasswordFieldExtension(OpenApiSerializerFieldExtension):
    target_class = "accounts.serializers.NewPasswordField"

    def map_serializer_field(self, auto_schema, direction):
        minimum, maximum = password_length_bounds()
        schema = {
            "type": "string",
            "format": "password",
            "description": "Checked by the password validators (length, similarity to the email, common "
            "and all-numeric passwords); a refusal names this field.",
        }
        if minimum:
            schema["minLength"] = minimum
        if maximum:
            schema["maxLength"] = maximum
        return schema
