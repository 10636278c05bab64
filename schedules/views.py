from __future__ import annotations

from django.http import HttpResponse

from scheduler_site.pages import page


@page
def _todo(request, *args, **kwargs):
    return HttpResponse("Coming soon")


schedule_list = _todo
schedule_create = _todo
schedule_preview = _todo
schedule_detail = _todo
schedule_edit = _todo
schedule_pause = _todo
schedule_resume = _todo
schedule_run_now = _todo
schedule_delete = _todo
