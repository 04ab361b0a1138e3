"""The one region rule: which names pass, and what the refusal says for each kind of slip."""

from __future__ import annotations

import pytest

from envgen import regions
from envgen.errors import UsageError


@pytest.mark.parametrize(
    "name",
    [
        "eu-west-1",
        "us-east-1",
        "us-gov-west-1",
        "us-isob-east-1",
        "eu-isoe-west-1",
        "cn-northwest-1",
        "ap-southeast-7",
        "mx-central-1",
        "il-central-1",
        "ca-west-1",
    ],
)
def test_every_shape_of_aws_region_passes(name):
    assert regions.checked(name, "--region") == name


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "EU-WEST-1",
            "--region 'EU-WEST-1' is not a region name; region names are lower case "
            "without spaces: eu-west-1",
        ),
        (
            " eu-west-1",
            "--region ' eu-west-1' is not a region name; region names are lower case "
            "without spaces: eu-west-1",
        ),
        (
            "eu-west",
            "--region 'eu-west' is not a region name; give one like eu-west-1 (area, "
            "direction and number)",
        ),
        (
            "eu-west-1a",
            "--region 'eu-west-1a' is not a region name; give one like eu-west-1 "
            "(area, direction and number)",
        ),
        (
            "",
            "--region '' is not a region name; give one like eu-west-1 (area, direction and "
            "number)",
        ),
        (
            "sts.eu-west-1.amazonaws.com",
            "--region is not a region name; give one like eu-west-1 (area, direction and number)",
        ),
    ],
)
def test_refusals_name_the_origin_and_the_fix(value, message):
    with pytest.raises(UsageError) as refused:
        regions.checked(value, "--region")
    assert refused.value.message == message


def test_a_value_that_could_be_a_secret_is_not_repeated():
    with pytest.raises(UsageError) as refused:
        regions.checked("wJalrXUtnFEMI/K7MDENG/bPxRfiCYzSECRET", "AWS_REGION")
    assert "wJalr" not in refused.value.message


def test_the_environment_is_checked_in_both_variables():
    assert regions.from_environment({"AWS_REGION": "", "AWS_DEFAULT_REGION": "eu-west-2"}) == (
        "eu-west-2"
    )
    with pytest.raises(UsageError, match="^AWS_DEFAULT_REGION 'eu-west' "):
        regions.from_environment({"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west"})


def test_region_in_effect_follows_botocore_and_checks_what_it_uses():
    assert regions.in_effect("ap-south-1", "dev", {"region": "bad"}, {"AWS_REGION": "x"}) == (
        "ap-south-1"
    )
    assert regions.in_effect(None, "dev", {"region": "eu-west-3"}, {"AWS_REGION": "sa-east-1"}) == (
        "eu-west-3"
    )
    with pytest.raises(UsageError, match="^profile dev's region 'eu-west' "):
        regions.in_effect(None, "dev", {"region": "eu-west"}, {})
    with pytest.raises(UsageError, match="^AWS_REGION 'EU-WEST-1' "):
        regions.in_effect(None, "dev", {"region": "eu-west-3"}, {"AWS_REGION": "EU-WEST-1"})
