from __future__ import annotations

from django.urls import path

from templates_lib import views

app_name = "templates_lib"

urlpatterns = [
    path("", views.template_list, name="list"),
    path("new/", views.template_create, name="create"),
    path("<str:pk>/edit/", views.template_edit, name="edit"),
    path("<str:pk>/favorite/", views.template_favorite, name="favorite"),
    path("<str:pk>/use/", views.template_use, name="use"),
    path("<str:pk>/delete/", views.template_delete, name="delete"),
]
