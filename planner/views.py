from __future__ import annotations

from django.http import HttpResponse

from scheduler_site.pages import page


@page
def _todo(request, *args, **kwargs):
    return HttpResponse("Coming soon")


calendar = _todo
