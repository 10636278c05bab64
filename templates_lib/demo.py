from __future__ import annotations

from campaigns.models import Campaign
from scheduler_site.demo import demo_row, ensure_demo_row
from templates_lib import services
from templates_lib.models import JobTemplate

# "key" is the row's demo identity (scheduler_site/demo.py); "campaign" is a demo
# campaign's key (campaigns/demo.py).
DEMO_TEMPLATES = [
    {
        "key": "forbes-expert",
        "name": "Forbes Expert",
        "campaign": "forbes",
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
        "key": "techcrunch-standard",
        "name": "TechCrunch Standard",
        "publisher_domain": "techcrunch.com",
        "writing_strategy": "standard",
        "tags": ["techcrunch", "tech"],
        "is_favorite": True,
    },
    {
        "key": "huffpost-comprehensive",
        "name": "HuffPost Comprehensive",
        "publisher_domain": "huffpost.com",
        "writing_strategy": "comprehensive",
        "tags": ["huffpost", "news"],
    },
]


def seed(*, workspace, user) -> None:
    for spec in DEMO_TEMPLATES:
        fields = dict(spec)
        key = fields.pop("key")
        campaign_key = fields.pop("campaign", None)
        if campaign_key:
            fields["campaign"] = demo_row(
                Campaign, workspace=workspace, key=f"campaign:{campaign_key}"
            )
        ensure_demo_row(
            JobTemplate,
            workspace=workspace,
            key=f"template:{key}",
            create=lambda pk, fields=fields: services.template_create(
                id=pk, workspace=workspace, created_by=user, **fields
            ),
        )
