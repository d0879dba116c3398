"""Debt resolution in the demo world (the data is in core/demo/world.py): obligations registered in
rings, most confirmed, one waiting for its debtor, one disputed with evidence; a clearing run
planned, confirmed by every company and applied, so statements can be downloaded; a second run
waiting for 东方包装's part; a case in negotiation and one in execution.

As in core/demo/trading.py, everything goes through the services the pages use, as the people who
would do it (the companies' main accounts, legal and finance staff); the Celery tasks of clearing
runs are done here and now by calling the service each task calls. Safe to run again: an
obligation is found by its creditor and reference, a case by the marker at the start of its
description, a run by the obligations it cleared; each step is all or nothing, and one the rules
refuse is skipped and named.

Dates are what the services make them (now), with one exception, marked where it happens: the
executing case's instalment schedule is moved back, so that one instalment is paid and the next
overdue.
"""

from datetime import timedelta

from django.db.models import F
from django.utils import timezone

from core.demo import world
from core.demo.trading import Refused, member, stocked_product
from debt import cases, obligations, runs
from debt.models import ClearingParticipant, ClearingRun, DebtCase, Instalment, Obligation

R = ClearingRun.Status
P = ClearingParticipant.Status
# How far back the executing case's schedule is moved: its first instalment falls due this long
# ago, the second a fortnight or so ago (overdue, but not long enough for the plan to default).
SCHEDULE_MOVED_BACK = timedelta(days=45)


def case_marker(number):
    return f"演示案件 #{number}："


def demo_case(number):
    return DebtCase.objects.filter(description__startswith=case_marker(number)).first()


def demo_obligations(rows):
    """The registered obligations of `rows` (world.DEBT_OBLIGATIONS and the like) found so far."""
    found = []
    for reference, _debtor, creditor, *_rest in rows:
        obligation = Obligation.objects.filter(creditor__memberships__user__email=f"main@{creditor}.example.cn",
                                               reference=reference).first()
        if obligation is not None:
            found.append(obligation)
    return found


def runs_clearing(rows):
    """The clearing runs that set off (or plan to) any of the obligations of `rows`."""
    return ClearingRun.objects.filter(items__obligation__in=demo_obligations(rows)).distinct()


class DemoDebts:
    def __init__(self, trading):
        self.companies = trading.companies
        self.step = trading.step
        self.pdf = trading.demo.pdf
        staff = {user.email.split("@")[0]: user for user in trading.demo.staff}
        self.legal, self.finance = staff["legal"], staff["finance"]
        self.slugs = {company.pk: slug for slug, company in self.companies.items()}

    def build(self):
        """Returns the number of clearing runs and cases of the demo."""
        with self.step("debt registry"):
            self.register(world.DEBT_OBLIGATIONS)
            self.dispute(*world.DEBT_DISPUTE)
        with self.step("applied clearing run"):
            self.applied_run()
        with self.step("clearing run awaiting confirmation"):
            self.awaiting_run()
        with self.step("debt case in negotiation"):
            self.negotiation_case(world.NEGOTIATION_CASE)
        with self.step("debt case in execution"):
            self.execution_case(world.EXECUTION_CASE)
        found_runs = {run.pk for rows in (world.DEBT_OBLIGATIONS, world.SECOND_RUN_OBLIGATIONS)
                      for run in runs_clearing(rows)}
        found_cases = [demo_case(spec["number"]) for spec in (world.NEGOTIATION_CASE, world.EXECUTION_CASE)]
        return len(found_runs), len([case for case in found_cases if case])

    @staticmethod
    def is_loaded():
        return (runs_clearing(world.SECOND_RUN_OBLIGATIONS).exists()
                and demo_case(world.EXECUTION_CASE["number"]) is not None)

    # --- the registry ----------------------------------------------------------------------------

    def register(self, rows):
        """Each creditor registers what it is owed; the debtor confirms, or will answer later (the
        disputed one is answered by `dispute`)."""
        today = timezone.localdate()
        found = {(obligation.creditor_id, obligation.reference): obligation for obligation in demo_obligations(rows)}
        for reference, debtor, creditor, amount, due_in, description, answer in rows:
            obligation = found.get((self.companies[creditor].pk, reference))
            if obligation is None:
                obligation = obligations.register_obligation(
                    by=member(creditor), debtor_id=self.companies[debtor].pk, amount=amount,
                    due_on=today + timedelta(days=due_in), reference=reference, description=description)
            if answer == "confirm" and obligation.status == Obligation.Status.PENDING:
                obligations.confirm_obligation(by=member(debtor), obligation_id=obligation.pk)

    def dispute(self, reference, reason, title, lines, note):
        """The debtor of one obligation objects and uploads its return note as evidence."""
        [obligation] = [found for found in demo_obligations(world.DEBT_OBLIGATIONS) if found.reference == reference]
        debtor = member(self.slugs[obligation.debtor_id])
        if obligation.status == Obligation.Status.PENDING:
            obligations.dispute_obligation(by=debtor, obligation_id=obligation.pk, reason=reason)
        if not obligation.evidence.exists():
            obligations.add_evidence(by=debtor, obligation_id=obligation.pk, note=note,
                                     upload=self.pdf(title, lines, name="退货单.pdf"))

    # --- clearing runs ---------------------------------------------------------------------------

    def planned_run(self):
        """Legal staff start a run; its planning task's service plans it now."""
        run = runs.start_clearing_run(by=self.legal)
        run = runs.plan_clearing_run(run_id=run.pk)  # what plan_clearing_run_task does
        if run.status != R.AWAITING:
            raise Refused(f"the clearing run was planned to {run.status} {run.failure_reason}".strip())
        return run

    def confirm_parts(self, run, *, leave=()):
        for participant in run.participants.filter(status=P.PENDING).select_related("company").order_by("pk"):
            slug = self.slugs.get(participant.company_id)
            if slug is None:
                raise Refused(f"{participant.company} is in the run but not in the demo world")
            if slug not in leave:
                runs.respond_to_part(by=member(slug), run_id=run.pk, decision="confirm")

    def applied_run(self):
        """Every company confirms its part and the run is applied (what apply_clearing_run_task
        does once the last part is confirmed)."""
        if runs_clearing(world.DEBT_OBLIGATIONS).exists():
            return
        run = self.planned_run()
        self.confirm_parts(run)
        run = runs.apply_clearing_run(run_id=run.pk)
        if run.status != R.APPLIED:
            raise Refused(f"the clearing run was not applied: {run.failure_reason}")

    def awaiting_run(self):
        """More obligations are confirmed after the first run; a second run finds their ring and
        every company but 东方包装 confirms its part."""
        if not runs_clearing(world.DEBT_OBLIGATIONS).filter(status=R.APPLIED).exists():
            raise Refused("the first clearing run was not applied")
        self.register(world.SECOND_RUN_OBLIGATIONS)
        if runs_clearing(world.SECOND_RUN_OBLIGATIONS).exists():
            return
        run = self.planned_run()
        pending = self.companies[world.SECOND_RUN_PENDING]
        if not run.participants.filter(company=pending).exists():
            raise Refused(f"{pending} has no part in the second clearing run")
        self.confirm_parts(run, leave={world.SECOND_RUN_PENDING})

    # --- cases -----------------------------------------------------------------------------------

    def planned_case(self, spec):
        """The applicant submits the case; legal staff take it, write the plan and set its terms
        (the caller adds goods), returning the case and its instalment plan."""
        today = timezone.localdate()
        claims = []
        for slug, role, amount, due_in in spec["claims"]:
            company = self.companies[slug]
            claims.append({"name": company.name, "credit_code": company.unified_social_credit_code, "role": role,
                           "amount": amount, "due_date": today + timedelta(days=due_in)})
        case = cases.submit_case(by=member(spec["applicant"]), claims=claims, desired_outcome=spec["outcome"],
                                 description=case_marker(spec["number"]) + spec["description"])
        cases.take_case(by=self.legal, case_id=case.pk)
        cases.advance_case(by=self.legal, case_id=case.pk, reason="材料齐全，双方均有还款意愿")  # → plan design
        cases.update_plan(by=self.legal, case_id=case.pk, plan_text=spec["plan"])
        claim_ids = list(case.claims.order_by("pk").values_list("pk", flat=True))
        terms = spec["instalments"]
        plan = cases.create_instalment_plan(by=self.legal, case_id=case.pk, claim_id=claim_ids[terms["claim"]],
                                            total=terms["total"], count=terms["count"],
                                            first_due=today + timedelta(days=terms.get("first_due_in", 0)))
        return case, claim_ids, plan

    def negotiate(self, case, spec):
        """Legal staff put the plan to the parties; the ones named confirm it."""
        cases.advance_case(by=self.legal, case_id=case.pk)  # → negotiation
        for slug in spec["confirmed_by"]:
            case = cases.confirm_plan(by=member(slug), case_id=case.pk)
        return case

    def negotiation_case(self, spec):
        if demo_case(spec["number"]) is not None:
            return
        case, claim_ids, _plan = self.planned_case(spec)
        guarantee = spec["guarantee"]
        cases.propose_guarantee(by=self.legal, case_id=case.pk, claim_id=claim_ids[guarantee["claim"]],
                                limit=guarantee["limit"], fee_rate=guarantee["fee_rate"], note=guarantee["note"])
        case = self.negotiate(case, spec)
        if case.stage != DebtCase.Stage.NEGOTIATION:
            raise Refused(f"the case is {case.stage}, not in negotiation")

    def execution_case(self, spec):
        if demo_case(spec["number"]) is not None:
            return
        case, claim_ids, plan = self.planned_case(spec)
        goods = spec["goods"]
        claim = case.claims.get(pk=claim_ids[goods["claim"]])
        product = stocked_product(self.slugs[claim.company_id], goods["category"], goods["quantity"],
                                  reason="以货抵债备货入库")
        settlement = cases.propose_goods_settlement(by=self.legal, case_id=case.pk, claim_id=claim.pk,
                                                    lines=[(product.pk, goods["quantity"], goods["unit_value"])])
        case = self.negotiate(case, spec)
        if case.stage != DebtCase.Stage.EXECUTION:
            raise Refused(f"the case is {case.stage}, not in execution")
        # The one date set directly in the debt demo: a plan's first instalment may not fall due
        # before today, so the schedule (created from today) is moved back here, as if agreed
        # weeks ago: the first instalment is then paid, the second overdue, the third still due.
        Instalment.objects.filter(plan=plan).update(due_date=F("due_date") - SCHEDULE_MOVED_BACK)
        first = plan.instalments.get(sequence=1)
        cases.record_instalment_payment(by=self.finance, instalment_id=first.pk, amount=first.amount,
                                        paid_on=first.due_date, note="工行对公转账，已核对到账流水")
        cases.remind_due_instalments()  # the daily job: the second instalment is now overdue
        cases.place_goods_order(by=member(spec["applicant"]), settlement_id=settlement.pk)
