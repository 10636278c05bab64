from __future__ import annotations

from django.urls import path

from jobs import views

app_name = "jobs"

urlpatterns = [
    path("", views.job_list, name="list"),
    path("<str:pk>/", views.job_detail, name="detail"),
    path("<str:pk>/cancel/", views.job_cancel, name="cancel"),
    path("<str:pk>/retry/", views.job_retry, name="retry"),
]
