"""Writes on companies and their people. The accounts issue adds verification review,
sub-account management, change requests, freeze and deregistration here."""

from django.db import transaction
from django.utils import timezone

from accounts.models import Company, Membership, User
from core import audit


@transaction.atomic
def register_company(*, name, main_user, by=None, **details):
    """Create a company with `main_user` as its main account (主账号), unverified."""
    company = Company.objects.create(name=name, **details)
    Membership.objects.create(user=main_user, company=company, is_main=True)
    audit.record(actor=by or main_user, action="company.register", subject=company, after=company.verification)
    return company


@transaction.atomic
def add_member(*, company, user, permissions, by, job_title=""):
    membership = Membership.objects.create(
        user=user, company=company, is_main=False, permissions=sorted(set(permissions)), job_title=job_title,
    )
    audit.record(actor=by, action="membership.create", subject=membership, company=company,
                 after=",".join(membership.permissions))
    return membership


@transaction.atomic
def mark_verified(*, company, by, reason=""):
    """Record a positive verification decision (the full review flow comes with the accounts issue)."""
    company = Company.objects.select_for_update().get(pk=company.pk)
    previous = company.verification
    company.verification = Company.Verification.VERIFIED
    company.verified_at = timezone.now()
    company.save(update_fields=["verification", "verified_at", "updated_at"])
    audit.record(actor=by, action="company.verification", subject=company, before=previous,
                 after=company.verification, reason=reason)
    return company


@transaction.atomic
def create_user(*, email, password, full_name="", mobile=None, is_staff=False, email_verified=False):
    """A login with its allauth e-mail address (verified when created by staff or the demo world)."""
    from allauth.account.models import EmailAddress

    user = User.objects.create_user(email=email, password=password, full_name=full_name, mobile=mobile,
                                    is_staff=is_staff)
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=email_verified)
    return user
