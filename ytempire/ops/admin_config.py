"""django.contrib.admin, with the operations console as its default site.

Kept apart from the site (``admin_site.py``) because INSTALLED_APPS imports this module while the
app registry is still loading, before any model may be imported; the site is named by dotted path
and built once the registry is ready.
"""

from django.contrib.admin.apps import AdminConfig


class OpsAdminConfig(AdminConfig):
    default_site = "ytempire.ops.admin_site.OpsAdminSite"
