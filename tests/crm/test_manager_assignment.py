"""Account managers: handovers recorded, the chief manager for Platinum and above, refusals."""

import pytest

from core.errors import BusinessRuleError, NotAllowed
from core.models import AuditEvent, Notification
from crm import managers
from crm.models import ClientProfile, Handover, Tier
from tests import factories
from tests.crm.tiers_helpers import account_manager, administrator

pytestmark = pytest.mark.django_db


def set_tier(company, tier):
    ClientProfile.objects.update_or_create(company=company, defaults={"tier": tier})


def test_first_assignment_and_handover_are_recorded(buyer):
    admin, first, second = administrator(), account_manager(full_name="王经理"), account_manager(full_name="李经理")
    managers.assign_manager(by=admin, company_id=buyer.pk, role="primary", manager_id=first.pk, notes="新客户")
    handover = managers.assign_manager(by=admin, company_id=buyer.pk, role="primary", manager_id=second.pk,
                                       notes="王经理调岗，已当面介绍给采购部张总")
    assert ClientProfile.objects.get(company=buyer).primary_manager == second
    assert (handover.from_manager, handover.to_manager, handover.handed_over_by) == (first, second, admin)
    assert handover.notes == "王经理调岗，已当面介绍给采购部张总"
    assert Handover.objects.filter(company=buyer).count() == 2
    event = AuditEvent.objects.filter(action="crm.handover").first()
    assert (event.before, event.after) == ("王经理", "李经理")
    assert Notification.objects.filter(recipient=second, kind="crm.client_assigned").exists()
    assert Notification.objects.filter(recipient=first, kind="crm.client_handed_over").exists()


def test_chief_manager_refused_below_platinum(buyer):
    set_tier(buyer, Tier.GOLD)
    with pytest.raises(BusinessRuleError) as refusal:
        managers.assign_manager(by=administrator(), company_id=buyer.pk, role="chief",
                                manager_id=account_manager().pk)
    assert refusal.value.code == "chief_needs_platinum"
    assert "铂金及以上" in str(refusal.value.message)
    assert not Handover.objects.exists()


def test_chief_manager_for_platinum(buyer):
    set_tier(buyer, Tier.PLATINUM)
    chief = account_manager()
    managers.assign_manager(by=administrator(), company_id=buyer.pk, role="chief", manager_id=chief.pk)
    assert ClientProfile.objects.get(company=buyer).chief_manager == chief


def inactive_account_manager():
    user = account_manager()
    type(user).objects.filter(pk=user.pk).update(is_active=False)
    return user


@pytest.mark.parametrize("who", ["finance", "member", "inactive"])
def test_manager_must_be_staff_with_the_account_manager_role(buyer, who):
    manager = {"finance": lambda: factories.staff_user("finance"),
               "member": lambda: factories.main_user_of(buyer),
               "inactive": inactive_account_manager}[who]()
    with pytest.raises(BusinessRuleError) as refusal:
        managers.assign_manager(by=administrator(), company_id=buyer.pk, role="primary", manager_id=manager.pk)
    assert refusal.value.code == "not_account_manager"


def test_primary_and_assistant_must_differ(buyer):
    admin, person = administrator(), account_manager()
    managers.assign_manager(by=admin, company_id=buyer.pk, role="primary", manager_id=person.pk)
    with pytest.raises(BusinessRuleError, match="不能是同一人"):
        managers.assign_manager(by=admin, company_id=buyer.pk, role="assistant", manager_id=person.pk)


def test_same_manager_again_is_refused(buyer):
    admin, person = administrator(), account_manager()
    managers.assign_manager(by=admin, company_id=buyer.pk, role="primary", manager_id=person.pk)
    with pytest.raises(BusinessRuleError, match="无需交接"):
        managers.assign_manager(by=admin, company_id=buyer.pk, role="primary", manager_id=person.pk)


def test_account_manager_hands_over_only_own_clients(buyer):
    admin, mine, other, newcomer = administrator(), account_manager(), account_manager(), account_manager()
    managers.assign_manager(by=admin, company_id=buyer.pk, role="primary", manager_id=mine.pk)
    with pytest.raises(NotAllowed):
        managers.assign_manager(by=other, company_id=buyer.pk, role="assistant", manager_id=newcomer.pk)
    managers.assign_manager(by=mine, company_id=buyer.pk, role="primary", manager_id=newcomer.pk, notes="交接")
    assert ClientProfile.objects.get(company=buyer).primary_manager == newcomer


def test_removing_a_manager_records_a_handover_to_nobody(buyer):
    admin, person = administrator(), account_manager()
    managers.assign_manager(by=admin, company_id=buyer.pk, role="assistant", manager_id=person.pk)
    handover = managers.assign_manager(by=admin, company_id=buyer.pk, role="assistant", manager_id=None)
    assert (handover.from_manager, handover.to_manager) == (person, None)
    assert ClientProfile.objects.get(company=buyer).assistant_manager is None


def test_non_staff_cannot_assign(buyer):
    with pytest.raises(NotAllowed):
        managers.assign_manager(by=factories.main_user_of(buyer), company_id=buyer.pk, role="primary",
                                manager_id=account_manager().pk)


def test_assign_form_on_the_client_page(client, buyer):
    set_tier(buyer, Tier.GOLD)
    person = account_manager()
    client.force_login(administrator())
    response = client.post(f"/backoffice/crm/clients/{buyer.pk}/managers/",
                           {"role": "chief", "manager": person.pk, "notes": ""}, follow=True)
    assert "首席客户经理只配备给铂金及以上客户" in response.content.decode()
    client.post(f"/backoffice/crm/clients/{buyer.pk}/managers/", {"role": "primary", "manager": person.pk,
                                                                 "notes": "分配"})
    assert ClientProfile.objects.get(company=buyer).primary_manager == person
