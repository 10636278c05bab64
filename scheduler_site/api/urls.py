"""/api/v1/: one router for every app's viewsets.

Paths work with and without a trailing slash, as the original API's examples
use both (``/api/v1/campaigns`` and ``/api/v1/auth/token/``).
"""

from __future__ import annotations

from django.urls import include, path, re_path
from rest_framework.routers import SimpleRouter
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from accounts.api import LogoutAllView, LogoutView
from campaigns.api import CampaignViewSet
from jobs.api import JobViewSet, TemplateUseView
from marketing.api import (
    CalendarView,
    ChannelAccountViewSet,
    ContentItemViewSet,
    PostViewSet,
    PublishingPauseView,
    TopoffView,
    WaveViewSet,
)
from schedules.api import CampaignPauseView, CampaignResumeView, ScheduledJobViewSet
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
router.register("schedule", ScheduledJobViewSet, basename="schedule")
router.register("marketing/channels", ChannelAccountViewSet, basename="marketing-channel")
router.register("marketing/content", ContentItemViewSet, basename="marketing-content")
router.register("marketing/posts", PostViewSet, basename="marketing-post")
router.register("marketing/waves", WaveViewSet, basename="marketing-wave")

urlpatterns = [
    path("auth/token/", TokenObtainPairView.as_view(), name="token_obtain_pair"),
    path("auth/token/refresh/", TokenRefreshView.as_view(), name="token_refresh"),
    re_path(r"^auth/logout/?$", LogoutView.as_view(), name="auth-logout"),
    re_path(r"^auth/logout-all/?$", LogoutAllView.as_view(), name="auth-logout-all"),
    # Before the router so it wins over the template viewset's detail routes.
    re_path(
        r"^templates/(?P<pk>[0-9a-fA-F-]{36})/use/?$",
        TemplateUseView.as_view(),
        name="template-use",
    ),
    # Campaign pause/resume act on the campaign's schedules, so the schedules app
    # serves them; before the router so they win over the campaign viewset.
    re_path(
        r"^campaigns/(?P<pk>[0-9a-fA-F-]{36})/pause/?$",
        CampaignPauseView.as_view(),
        name="campaign-pause",
    ),
    re_path(
        r"^campaigns/(?P<pk>[0-9a-fA-F-]{36})/resume/?$",
        CampaignResumeView.as_view(),
        name="campaign-resume",
    ),
    re_path(r"^marketing/scheduler/topoff/?$", TopoffView.as_view(), name="marketing-topoff"),
    re_path(r"^marketing/calendar/?$", CalendarView.as_view(), name="marketing-calendar"),
    re_path(
        r"^marketing/publishing/?$", PublishingPauseView.as_view(), name="marketing-publishing"
    ),
    re_path(
        r"^marketing/publishing/pause/?$",
        PublishingPauseView.as_view(action_name="pause"),
        name="marketing-publishing-pause",
    ),
    re_path(
        r"^marketing/publishing/resume/?$",
        PublishingPauseView.as_view(action_name="resume"),
        name="marketing-publishing-resume",
    ),
    path("", include(router.urls)),
]
