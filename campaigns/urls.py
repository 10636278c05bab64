from __future__ import annotations

from django.urls import path

from campaigns import views

app_name = "campaigns"

urlpatterns = [
    path("", views.campaign_list, name="list"),
    path("new/", views.campaign_create, name="create"),
    path("<str:pk>/", views.campaign_detail, name="detail"),
    path("<str:pk>/edit/", views.campaign_edit, name="edit"),
    path("<str:pk>/duplicate/", views.campaign_duplicate, name="duplicate"),
    path("<str:pk>/archive/", views.campaign_archive, name="archive"),
]
