"""The training command and weekly scoring on the demo world (a year of history, almost no bads)."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from crm import credit
from crm.models import CreditScore, Scorecard

pytestmark = pytest.mark.django_db


def test_train_and_score_on_the_demo_world():
    call_command("seed_demo", stdout=StringIO())
    out = StringIO()
    call_command("train_scorecard", "--activate", stdout=out)
    metrics = json.loads(out.getvalue())
    assert metrics["sample_size"] >= 10 and metrics["active"] is True
    assert Scorecard.objects.get(is_active=True).version == metrics["version"]

    scored = credit.score_companies()
    assert scored >= 10
    scores = list(CreditScore.objects.values_list("score", flat=True))
    assert len(set(scores)) > 3, "scores tell companies apart"
    buyers_with_history = CreditScore.objects.filter(features__volume_12m__gt=100000)
    assert buyers_with_history.exists()
    assert any(score.recommended_limit_max > 0 for score in buyers_with_history)
