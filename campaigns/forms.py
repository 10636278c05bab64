from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from campaigns.models import Campaign
from campaigns.services import refuse_archived_campaigns
from scheduler_site.lib.moments import validate_moment
from scheduler_site.lib.validators import normalize_tags
from scheduler_site.pages import join_tags, parse_tags


class TagsField(forms.CharField):
    """Tags typed as a comma-separated line, validated by the shared rule."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", "Comma-separated, e.g. client:a, seo")
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return join_tags(value) if isinstance(value, list) else value

    def to_python(self, value):
        return parse_tags(super().to_python(value))

    def validate(self, value):
        super().validate(value)
        normalize_tags(value)


class LocalDateTimeInput(forms.DateTimeInput):
    """A datetime-local control; the view activates the display timezone to parse it."""

    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class BoundedDateTimeField(forms.DateTimeField):
    """A page form's date and time, in the years every date lives in (lib/moments.py)."""

    default_validators = [validate_moment]


class CampaignForm(forms.ModelForm):
    tags = TagsField()

    class Meta:
        model = Campaign
        fields = [
            "name",
            "description",
            "status",
            "color",
            "tags",
            "target_job_count",
            "target_budget_usd",
            "start_date",
            "end_date",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "color": forms.TextInput(attrs={"type": "color"}),
            "start_date": LocalDateTimeInput(),
            "end_date": LocalDateTimeInput(),
        }
        field_classes = {"start_date": BoundedDateTimeField, "end_date": BoundedDateTimeField}
        labels = {
            "target_job_count": "Target jobs",
            "target_budget_usd": "Target budget (USD)",
        }

    def clean_name(self):
        name = (self.cleaned_data.get("name") or "").strip()
        if not name:
            raise ValidationError("Name cannot be blank.")
        return name

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class CampaignLinkedAdminForm(forms.ModelForm):
    """Admin form for rows that belong to a campaign: archived campaigns are
    read-only, so the refusal shows on the form instead of failing the save."""

    def clean(self):
        cleaned = super().clean()
        # The instance still holds the stored campaign here (the form applies
        # its values after clean), so both the old and the new one are checked.
        stored = [] if self.instance._state.adding else [self.instance.campaign_id]
        chosen = cleaned.get("campaign")
        try:
            refuse_archived_campaigns(campaign_ids=[*stored, chosen.pk if chosen else None])
        except ValidationError as error:
            self.add_error("campaign", error.message_dict["campaign"])
        return cleaned
