from __future__ import annotations

from django.urls import path

from marketing import views

app_name = "marketing"

urlpatterns = [
    path("", views.channel_list, name="channel_list"),
    path("new/", views.channel_create, name="channel_create"),
    path("top-off/", views.topoff, name="topoff"),
    path("posts/new/", views.post_create, name="post_create"),
    path("waves/new/", views.wave_create, name="wave_create"),
    path("content/", views.content_list, name="content_list"),
    path("content/new/", views.content_create, name="content_create"),
    path("<str:pk>/", views.channel_detail, name="channel_detail"),
    path("<str:pk>/edit/", views.channel_edit, name="channel_edit"),
    path("<str:pk>/pause/", views.channel_pause, name="channel_pause"),
    path("<str:pk>/resume/", views.channel_resume, name="channel_resume"),
]
