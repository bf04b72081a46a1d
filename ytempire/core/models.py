import uuid

from django.db import models


class BaseModel(models.Model):
    """UUID primary key and audit timestamps, as every table of the seed's schema has."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
