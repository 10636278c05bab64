from __future__ import annotations

from django.urls import path

from schedules import views

app_name = "schedules"

urlpatterns = [
    path("", views.schedule_list, name="list"),
    path("new/", views.schedule_create, name="create"),
    path("preview/", views.schedule_preview, name="preview"),
    path("<str:pk>/", views.schedule_detail, name="detail"),
    path("<str:pk>/edit/", views.schedule_edit, name="edit"),
    path("<str:pk>/pause/", views.schedule_pause, name="pause"),
    path("<str:pk>/resume/", views.schedule_resume, name="resume"),
    path("<str:pk>/run-now/", views.schedule_run_now, name="run_now"),
    path("<str:pk>/delete/", views.schedule_delete, name="delete"),
]
