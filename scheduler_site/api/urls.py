"""/api/v1/: one router for every app's viewsets.

Paths work with and without a trailing slash, as the original API's examples
use both (``/api/v1/campaigns`` and ``/api/v1/auth/token/``).
"""

from __future__ import annotations

from django.urls import include, path, re_path
from rest_framework.routers import SimpleRouter
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from campaigns.api import CampaignViewSet
from jobs.api import JobViewSet, TemplateUseView
from templates_lib.api import JobTemplateViewSet
from workspaces.api import WorkspaceViewSet


class OptionalSlashRouter(SimpleRouter):
    def __init__(self):
        super().__init__()
        self.trailing_slash = "/?"


router = OptionalSlashRouter()
router.register("workspaces", WorkspaceViewSet, basename="workspace")
router.register("campaigns", CampaignViewSet, basename="campaign")
router.register("templates", JobTemplateViewSet, basename="template")
router.register("jobs", JobViewSet, basename="job")

urlpatterns = [
    path("auth/token/", TokenObtainPairView.as_view(), name="token_obtain_pair"),
    path("auth/token/refresh/", TokenRefreshView.as_view(), name="token_refresh"),
    # Before the router so it wins over the template viewset's detail routes.
    re_path(
        r"^templates/(?P<pk>[0-9a-fA-F-]{36})/use/?$", TemplateUseView.as_view(), name="template-use"
    ),
    path("", include(router.urls)),
]
