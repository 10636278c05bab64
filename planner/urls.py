from __future__ import annotations

from django.urls import path

from planner import views

app_name = "planner"

urlpatterns = [
    path("", views.calendar, name="calendar"),
    path("move/", views.move, name="move"),
    path("event/<str:kind>/<str:pk>/", views.event_detail, name="event"),
    path("event/<str:kind>/<str:pk>/<str:action>/", views.event_action, name="event_action"),
]
