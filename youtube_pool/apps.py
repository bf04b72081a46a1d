from django.apps import AppConfig


class YouTubePoolConfig(AppConfig):
    name = "youtube_pool"
    verbose_name = "YouTube pool"
    default_auto_field = "django.db.models.BigAutoField"
