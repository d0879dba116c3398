"""Barter in the demo world (the data is in core/demo/world.py): barter profiles with cash limits,
haves (catalogue listings of demo sellers and 东方包装's free-form lot of board) and wants, one
matching run over them, and the companies' answers: a three-company ring and one part of
东方包装's lot execute as orders settled by barter, another part waits for 东方包装's
confirmation, the last is not answered yet.

As in core/demo/trading.py, everything goes through the services the pages use, as the companies'
main accounts would; the matching run's Celery task is done here and now by calling the service
it calls. Safe to run again: a listing is found by the marker at the start of its note, the run
by the transfers of 东方包装's lot, a deal by the want it fills, and an answer given is not given
again; each step is all or nothing, and one the rules refuse is skipped and named.
"""

from datetime import timedelta

from django.utils import timezone

from barter import runs, services
from barter.models import BarterProfile, Listing, MatchingRun, Participant, Proposal, Transfer
from catalog.models import Category
from core.demo import world
from core.demo.trading import Refused, member, stocked_product

WINDOW = timedelta(days=60)
MARKER = "演示易货 #"


def listing_marker(number):
    return f"{MARKER}{number}："


def demo_listing(number):
    return Listing.objects.filter(note__startswith=listing_marker(number)).first()


class DemoBarter:
    def __init__(self, trading):
        self.companies = trading.companies
        self.step = trading.step
        self.service = next(user for user in trading.demo.staff if user.email.startswith("service@"))

    def build(self):
        """Returns the number of barter deals (proposals) on the demo's listings."""
        with self.step("barter book"):
            self.book()
        with self.step("barter matching run"):
            self.match()
        for want, companies in world.BARTER_ANSWERS:
            with self.step(f"barter answers for want #{want}"):
                self.answer(want, companies)
        return Proposal.objects.filter(transfers__have__note__startswith=MARKER).distinct().count()

    @staticmethod
    def is_loaded():
        lot = demo_listing(world.BARTER_LOT)
        return lot is not None and Transfer.objects.filter(have=lot).exists()

    # --- profiles and listings -------------------------------------------------------------------

    def book(self):
        for slug, cash_limit, note in world.BARTER_PROFILES:
            if not BarterProfile.objects.filter(company=self.companies[slug]).exists():
                services.set_cash_limit(by=member(slug), cash_limit=cash_limit, note=note)
        today = timezone.localdate()
        window = {"available_from": today, "available_until": today + WINDOW}
        for number, slug, category, title, unit, quantity, unit_value, note in world.BARTER_HAVES:
            if demo_listing(number) is not None:
                continue
            company = self.companies[slug]
            details = {"quantity": quantity, "unit_value": unit_value, "location": company.city.name,
                       "note": listing_marker(number) + note, **window}
            if title is None:
                details["product_id"] = stocked_product(slug, category, quantity, reason="易货备货入库").pk
            else:
                details.update(title=title, unit=unit, category_id=Category.objects.get(slug=category).pk)
            services.create_have(by=member(slug), **details)
        for number, slug, category, title, quantity, budget, highest, note in world.BARTER_WANTS:
            if demo_listing(number) is None:
                services.create_want(by=member(slug), category_id=Category.objects.get(slug=category).pk,
                                     title=title, quantity=quantity, budget=budget, max_unit_value=highest,
                                     location=self.companies[slug].city.name, note=listing_marker(number) + note,
                                     **window)

    # --- the matching run ------------------------------------------------------------------------

    def match(self):
        """Customer service starts a run; the run_matching task's service matches the book now."""
        lot = demo_listing(world.BARTER_LOT)
        if lot is None:
            raise Refused("the barter book was not built")
        if Transfer.objects.filter(have=lot).exists():
            return
        run = runs.start_matching_run(by=self.service)
        run = runs.run_matching(run_id=run.pk)  # what the run_matching task does
        if run.status != MatchingRun.Status.DONE:
            raise Refused(f"the matching run ended {run.status}: {run.error}")
        takers = set(Transfer.objects.filter(have=lot).values_list("taker_id", flat=True))
        ring = demo_listing(world.BARTER_RING)
        ring_deal = Proposal.objects.filter(transfers__want=ring).first() if ring else None
        if len(takers) < 2 or ring_deal is None or ring_deal.participants.count() < 3:
            raise Refused(f"the run found {run.deals} deals, not the ring and the split lot the demo expects")

    # --- answers ---------------------------------------------------------------------------------

    def answer(self, want_number, slugs):
        """The companies named confirm the deals filling the want; the last confirmation executes a
        deal (orders and settlements)."""
        want = demo_listing(want_number)
        if want is None:
            raise Refused(f"want #{want_number} is not in the book")
        for proposal in Proposal.objects.filter(transfers__want=want).distinct().order_by("pk"):
            for slug in slugs:
                proposal.refresh_from_db()
                participant = proposal.participants.filter(company=self.companies[slug]).first()
                if (proposal.status == Proposal.Status.PROPOSED and participant is not None
                        and participant.answer == Participant.Answer.PENDING):
                    services.confirm_proposal(by=member(slug), proposal_id=proposal.pk)
