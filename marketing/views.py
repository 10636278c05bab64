from __future__ import annotations

from django.http import HttpResponse

from scheduler_site.pages import page


@page
def _todo(request, *args, **kwargs):
    return HttpResponse("Coming soon")


channel_list = _todo
channel_create = _todo
topoff = _todo
channel_detail = _todo
channel_edit = _todo
channel_pause = _todo
channel_resume = _todo
post_create = _todo
wave_create = _todo
content_list = _todo
content_create = _todo
