from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts import views as account_views
from scheduler_site import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/login/", account_views.LoginView.as_view(), name="login"),
    path(
        "accounts/sign-out-everywhere/",
        account_views.sign_out_everywhere,
        name="sign_out_everywhere",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("scheduler_site.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    # Pages (server-rendered + htmx).
    path("calendar/", include("planner.urls")),
    path("campaigns/", include("campaigns.urls")),
    path("templates/", include("templates_lib.urls")),
    path("schedules/", include("schedules.urls")),
    path("channels/", include("marketing.urls")),
    path("jobs/", include("jobs.urls")),
]

# A database outage answers 503 (with Retry-After) instead of a 500 page.
handler500 = "scheduler_site.views.server_error"
