from __future__ import annotations

from campaigns.models import Campaign
from templates_lib.models import JobTemplate

DEMO_TEMPLATES = [
    {
        "name": "Forbes Expert",
        "campaign": "Forbes Publisher Campaign",
        "publisher_domain": "forbes.com",
        "llm_provider": "anthropic",
        "llm_model": "claude-3-5-sonnet-20241022",
        "writing_strategy": "expert",
        "country": "us",
        "language": "en",
        "tags": ["forbes", "expert"],
        "is_favorite": True,
        "metadata": {"tone": "professional", "target_audience": "business executives"},
    },
    {
        "name": "TechCrunch Standard",
        "publisher_domain": "techcrunch.com",
        "writing_strategy": "standard",
        "tags": ["techcrunch", "tech"],
        "is_favorite": True,
    },
    {
        "name": "HuffPost Comprehensive",
        "publisher_domain": "huffpost.com",
        "writing_strategy": "comprehensive",
        "tags": ["huffpost", "news"],
    },
]


def seed(*, workspace, user) -> None:
    for spec in DEMO_TEMPLATES:
        fields = dict(spec)
        campaign_name = fields.pop("campaign", None)
        if campaign_name:
            fields["campaign"] = Campaign.objects.filter(
                workspace=workspace, name=campaign_name
            ).first()
        name = fields.pop("name")
        # Names are not unique: a template the user named the same counts.
        if JobTemplate.objects.filter(workspace=workspace, name=name).exists():
            continue
        JobTemplate.objects.create(workspace=workspace, name=name, **fields, created_by=user)
