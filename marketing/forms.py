from __future__ import annotations

from django import forms

from campaigns.forms import BoundedDateTimeField, LocalDateTimeInput
from campaigns.models import Campaign
from marketing.models import ChannelAccount, ContentItem, Wave
from scheduler_site.lib.validators import validate_timezone


class ScheduleTimesField(forms.CharField):
    """Posting times typed as "09:00, 13:30"; the model's rule checks them."""

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        text = super().to_python(value) or ""
        return [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]


class ChannelForm(forms.ModelForm):
    schedule_times = ScheduleTimesField(
        required=False,
        label="Posting times",
        help_text="24-hour HH:MM, comma-separated, e.g. 09:00, 13:30",
    )
    schedule_timezone = forms.CharField(
        max_length=64,
        validators=[validate_timezone],
        label="Cadence time zone",
        widget=forms.TextInput(attrs={"list": "zones", "autocomplete": "off"}),
    )
    platform = forms.CharField(
        max_length=50,
        widget=forms.TextInput(attrs={"list": "platforms", "autocomplete": "off"}),
        help_text="x, linkedin, instagram, blog… (any name works)",
    )
    target_url = forms.URLField(
        assume_scheme="https", required=False, max_length=500, label="Webhook URL"
    )

    class Meta:
        model = ChannelAccount
        fields = [
            "name",
            "platform",
            "handle",
            "posts_per_week",
            "schedule_times",
            "schedule_timezone",
            "min_gap_minutes",
            "is_active",
            "executor",
            "target_url",
        ]
        labels = {
            "posts_per_week": "Posts per week",
            "min_gap_minutes": "Minimum gap (minutes)",
            "is_active": "Active",
            "target_url": "Webhook URL",
        }

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class CadenceForm(ChannelForm):
    """The channel page's cadence editor: only how often and when."""

    platform = None
    target_url = None

    class Meta(ChannelForm.Meta):
        fields = ["posts_per_week", "schedule_times", "schedule_timezone", "min_gap_minutes"]


class ContentForm(forms.ModelForm):
    media_url = forms.URLField(
        assume_scheme="https", required=False, max_length=1000, label="Media URL"
    )

    class Meta:
        model = ContentItem
        fields = ["title", "body", "media_url", "campaign", "status"]
        widgets = {"body": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, campaigns=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = (
            campaigns if campaigns is not None else Campaign.objects.none()
        )
        self.fields["campaign"].empty_label = "No campaign"

    def clean(self):
        cleaned = super().clean()
        # The model's own check (campaign of the same workspace) runs after
        # this; without the chosen workspace on the instance every campaign
        # would look like a stranger's.
        if cleaned.get("workspace") is not None:
            self.instance.workspace = cleaned["workspace"]
        return cleaned

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class PostForm(forms.Form):
    channel = forms.ModelChoiceField(queryset=ChannelAccount.objects.none(), empty_label=None)
    scheduled_for = BoundedDateTimeField(label="When", widget=LocalDateTimeInput())
    content_item = forms.ModelChoiceField(
        queryset=ContentItem.objects.none(),
        required=False,
        label="Content",
        empty_label="None: keep it as an empty planned slot",
    )

    def __init__(self, *args, channels=None, content=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].queryset = (
            channels if channels is not None else ChannelAccount.objects.none()
        )
        self.fields["content_item"].queryset = (
            content if content is not None else ContentItem.objects.none()
        )


class WaveForm(forms.Form):
    content_item = forms.ModelChoiceField(
        queryset=ContentItem.objects.none(), label="Content", empty_label=None
    )
    type = forms.ChoiceField(choices=Wave.Type.choices, label="Publication")
    channels = forms.ModelMultipleChoiceField(
        queryset=ChannelAccount.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text="Staggered waves publish in this order.",
    )
    start_at = BoundedDateTimeField(
        required=False,
        label="Start",
        widget=LocalDateTimeInput(),
        help_text="Not needed for independent waves.",
    )
    delay_seconds = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=30 * 24 * 3600,
        label="Delay between channels (seconds)",
    )

    def __init__(self, *args, channels=None, content=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channels"].queryset = (
            channels if channels is not None else ChannelAccount.objects.none()
        )
        self.fields["content_item"].queryset = (
            content if content is not None else ContentItem.objects.none()
        )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("type") != Wave.Type.INDEPENDENT and not cleaned.get("start_at"):
            self.add_error("start_at", "Simultaneous and staggered waves need a start time.")
        return cleaned


def conflict_errors(form, error) -> None:
    """A marketing ConflictError shown on the form: the summary and each reason."""
    form.add_error(None, error.summary)
    for conflict in getattr(error, "conflicts", [])[:10]:
        form.add_error(None, conflict.message)
