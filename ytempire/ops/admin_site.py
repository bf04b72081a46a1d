"""The admin site: Unfold's, plus the operations pages that belong to no single model (capacity,
failed and waiting videos). The index is the dashboard (UNFOLD["DASHBOARD_CALLBACK"])."""

from unfold.sites import UnfoldAdminSite


class OpsAdminSite(UnfoldAdminSite):
    site_title = "YTEMPIRE operations"
    site_header = "YTEMPIRE"
    index_title = "Operations dashboard"

    def extra_urls(self):
        """Called by UnfoldAdminSite.get_urls(): our pages before Django's, under the admin namespace."""
        # The pages use the apps' admins, which register on this site while it is being built.
        from .admin_pages import OperationsPages

        return OperationsPages(self).urls()
