from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from jobs.services import merge_config, validate_job_config


def test_later_layers_win_over_earlier_ones():
    template = {"country": "us", "language": "en", "llm_model": "a"}
    schedule = {"country": "de", "llm_model": "b"}
    use = {"country": "uk"}

    assert merge_config(template, schedule, use) == {
        "country": "uk",
        "language": "en",
        "llm_model": "b",
    }


def test_metadata_merges_key_by_key_with_later_keys_winning():
    merged = merge_config(
        {"metadata": {"tone": "formal", "audience": "execs"}},
        {"metadata": {"tone": "casual"}},
        {"metadata": {"length": 900}},
    )

    assert merged["metadata"] == {"tone": "casual", "audience": "execs", "length": 900}


def test_merging_never_mutates_the_layers():
    template = {"metadata": {"tone": "formal"}}
    merge_config(template, {"metadata": {"tone": "casual"}})

    assert template == {"metadata": {"tone": "formal"}}


def test_empty_and_missing_layers_are_ignored():
    assert merge_config({"a": 1}, {}, None) == {"a": 1}


def test_an_unknown_executor_is_refused_with_the_known_ones_named():
    with pytest.raises(ValidationError) as error:
        validate_job_config({"executor": "carrier-pigeon"}, workspace_id=None)

    message = error.value.message_dict["executor"][0]
    assert "carrier-pigeon" in message and "noop" in message and "webhook" in message


@pytest.mark.parametrize("url", ["ftp://example.com/x", "not a url", "file:///etc/passwd"])
def test_a_webhook_url_must_be_http_or_https(url):
    with pytest.raises(ValidationError) as error:
        validate_job_config({"executor": "webhook", "webhook_url": url}, workspace_id=None)

    assert "webhook_url" in error.value.message_dict
