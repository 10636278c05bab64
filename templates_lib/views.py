"""Template library pages: cards, favourites, "use" with overrides, create/edit."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from campaigns.models import Campaign
from jobs import services as job_services
from scheduler_site.pages import (
    add_workspace_choice,
    apply_validation_error,
    current_workspace,
    error_text,
    feedback,
    get_scoped_or_404,
    page,
    redirect_with_feedback,
    render_form,
    require_write,
    scoped,
    writable_workspaces,
)
from templates_lib import services
from templates_lib.forms import JobTemplateForm, TemplateUseForm
from templates_lib.models import JobTemplate

TEMPLATES = JobTemplate.objects.select_related("workspace", "campaign")
# Cards per page of the library (favourites fill the first pages).
PAGE_SIZE = 48


def _filtered_templates(request):
    rows = scoped(request, TEMPLATES)
    if tag := request.GET.get("tag", "").strip():
        rows = rows.filter(tags__has_element=tag)
    if campaign := request.GET.get("campaign", "").strip():
        rows = rows.filter(campaign_id=campaign) if _is_uuid(campaign) else rows.none()
    if request.GET.get("favorites") == "1":
        rows = rows.filter(is_favorite=True)
    if query := request.GET.get("q", "").strip():
        rows = rows.filter(Q(name__icontains=query) | Q(description__icontains=query))
    # Favourites first, the library's promise; pk keeps pages stable among
    # templates of the same name.
    return rows.order_by("-is_favorite", "name", "pk")


def _is_uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


@page
def template_list(request):
    page_obj = Paginator(_filtered_templates(request), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page_obj": page_obj,
        "templates": page_obj.object_list,
        "campaigns": scoped(request, Campaign.objects.all()).order_by("name"),
        "filters": {k: request.GET.get(k, "") for k in ("tag", "campaign", "favorites", "q")},
        "writable_ids": set(writable_workspaces(request).values_list("pk", flat=True)),
    }
    if request.htmx and request.htmx.target == "template-cards":
        return render(request, "templates_lib/template_list.html#cards", context)
    return render(request, "templates_lib/template_list.html", context)


@require_POST
@page
def template_favorite(request, pk):
    template = get_scoped_or_404(request, TEMPLATES, pk)
    require_write(request, template.workspace_id)
    template = services.template_toggle_favorite(template=template)
    message = "Added to favourites." if template.is_favorite else "Removed from favourites."
    if request.htmx:
        context = {"template": template, "writable_ids": {template.workspace_id}}
        response = render(request, "templates_lib/template_list.html#card", context)
        return feedback(request, response, message)
    return redirect_with_feedback(request, reverse("templates_lib:list"), message)


@page
def template_use(request, pk):
    template = get_scoped_or_404(request, TEMPLATES, pk)
    if request.method == "POST":
        require_write(request, template.workspace_id)
    form = TemplateUseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            overrides = form.overrides()
            if form.cleaned_data["name"]:
                overrides["name"] = form.cleaned_data["name"]
            job = job_services.template_use(template=template, overrides=overrides)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            return redirect_with_feedback(
                request,
                reverse("jobs:detail", args=[job.pk]),
                f"Job “{job.name}” created from the template.",
            )
    return render_form(
        request, "templates_lib/template_use.html", {"template": template, "form": form}
    )


@page
def template_create(request):
    workspace = current_workspace(request)
    form = JobTemplateForm(
        request.POST or None,
        campaigns=scoped(request, Campaign.objects.all()),
        initial={"campaign": request.GET.get("campaign") or None},
    )
    add_workspace_choice(form, request, workspace)
    if request.method == "POST" and form.is_valid():
        target = form.cleaned_data["workspace"]
        require_write(request, target.pk)
        fields = form.service_fields()
        if fields["campaign"] is not None and fields["campaign"].workspace_id != target.pk:
            form.add_error("campaign", "Choose a campaign of the same workspace.")
        else:
            try:
                services.template_create(workspace=target, created_by=request.user, **fields)
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                return redirect_with_feedback(
                    request, reverse("templates_lib:list"), "Template created."
                )
    return _form_page(request, form, template=None)


@page
def template_edit(request, pk):
    template = get_scoped_or_404(request, TEMPLATES, pk)
    if request.method == "POST":
        require_write(request, template.workspace_id)
    form = JobTemplateForm(
        request.POST or None,
        instance=template,
        campaigns=Campaign.objects.filter(workspace_id=template.workspace_id),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.template_update(template=template, **form.service_fields())
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            return redirect_with_feedback(request, reverse("templates_lib:list"), "Template saved.")
    return _form_page(request, form, template=template)


def _form_page(request, form, *, template):
    return render_form(
        request, "templates_lib/template_form.html", {"form": form, "template": template}
    )


@require_POST
@page
def template_delete(request, pk):
    template = get_scoped_or_404(request, TEMPLATES, pk)
    require_write(request, template.workspace_id)
    try:
        services.template_delete(template=template)
    except ValidationError as error:
        return redirect_with_feedback(
            request, reverse("templates_lib:edit", args=[template.pk]), error_text(error), "error"
        )
    return redirect_with_feedback(request, reverse("templates_lib:list"), "Template deleted.")
