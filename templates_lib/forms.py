from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from campaigns.forms import TagsField
from campaigns.models import Campaign
from scheduler_site.fields import BoundedJSONFormField
from scheduler_site.lib.validators import (
    normalize_country,
    normalize_hostname,
    normalize_language,
)
from templates_lib.models import JobTemplate


class TargetFieldsMixin:
    """Publisher, country and language as the template's rules write them,
    shared by the template form and the per-use overrides."""

    def clean_publisher_domain(self):
        value = self.cleaned_data.get("publisher_domain") or ""
        return normalize_hostname(value) if value else ""

    def clean_country(self):
        value = self.cleaned_data.get("country") or ""
        return normalize_country(value) if value else ""

    def clean_language(self):
        value = self.cleaned_data.get("language") or ""
        return normalize_language(value) if value else ""


class JobTemplateForm(TargetFieldsMixin, forms.ModelForm):
    tags = TagsField()
    metadata = BoundedJSONFormField(
        required=False,
        initial=dict,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text='A JSON object, e.g. {"topic": "pricing"}',
    )

    class Meta:
        model = JobTemplate
        fields = [
            "name",
            "description",
            "campaign",
            "publisher_domain",
            "llm_provider",
            "llm_model",
            "writing_strategy",
            "country",
            "language",
            "max_retries",
            "retry_backoff_seconds",
            "batch_size",
            "tags",
            "metadata",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}
        labels = {"llm_provider": "LLM provider", "llm_model": "LLM model"}

    def __init__(self, *args, campaigns=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = (
            campaigns if campaigns is not None else Campaign.objects.none()
        )
        self.fields["campaign"].empty_label = "No campaign"

    def clean_name(self):
        name = (self.cleaned_data.get("name") or "").strip()
        if not name:
            raise ValidationError("Name cannot be blank.")
        return name

    def clean_metadata(self):
        value = self.cleaned_data.get("metadata")
        if value in (None, ""):
            return {}
        if not isinstance(value, dict):
            raise ValidationError("Metadata must be a JSON object.")
        return value

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class TemplateUseForm(TargetFieldsMixin, forms.Form):
    """Per-use overrides: only the fields filled in are sent to the service."""

    name = forms.CharField(required=False, max_length=255, help_text="Defaults to the template's.")
    publisher_domain = forms.CharField(required=False, max_length=253)
    llm_model = forms.CharField(required=False, max_length=128, label="LLM model")
    writing_strategy = forms.ChoiceField(
        required=False, choices=[("", "Template's"), *JobTemplate.WritingStrategy.choices]
    )
    country = forms.CharField(required=False, max_length=2)
    language = forms.CharField(required=False, max_length=35)
    batch_size = forms.IntegerField(required=False, min_value=1, max_value=100)

    def overrides(self) -> dict:
        return {
            key: value
            for key, value in self.cleaned_data.items()
            if key != "name" and value not in (None, "")
        }
