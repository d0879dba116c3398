"""Train the credit scorecard on the platform's own history.

    python manage.py train_scorecard [--activate] [--outcome-months 6]

Features are taken as of the cut-off (today − outcome months), the outcome ("bad", defined in
crm/scorecard.py) is observed from the cut-off to today. Prints one JSON line of metrics
(version, sample_size, bads, bad_rate, auc, ks, method, information values), saves a Scorecard and
activates it with --activate (otherwise staff can activate it later). See crm/credit.py.
"""

import json

from django.core.management.base import BaseCommand, CommandError

from core.errors import BusinessRuleError
from crm import credit


class Command(BaseCommand):
    help = "训练信用评分卡（用平台自身历史数据），输出评估指标（一行 JSON）。"

    def add_arguments(self, parser):
        parser.add_argument("--activate", action="store_true", help="训练后立即启用该评分卡")
        parser.add_argument("--outcome-months", type=int, default=6, help="观察期（月），默认 6")

    def handle(self, *args, activate=False, outcome_months=6, **options):
        try:
            card, metrics = credit.train_scorecard(outcome_months=outcome_months, activate=activate)
        except BusinessRuleError as error:
            raise CommandError(str(error.message)) from error
        self.stdout.write(json.dumps({**metrics, "active": card.is_active}, ensure_ascii=False, sort_keys=True))
