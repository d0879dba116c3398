"""Reference data every installation has: regions, staff-role groups, default beat schedules.

Loaded by a post_migrate handler (as Django does for content types and permissions), so it is
there after `migrate` and again after the flush that transactional tests end with. Each loader
only adds what is missing, so running it again changes nothing and keeps staff edits.
"""

import json
from pathlib import Path

REGIONS = Path(__file__).resolve().parent / "data" / "regions.json"


def ensure_regions():
    from core.models import Region

    data = json.loads(REGIONS.read_text(encoding="utf-8"))
    expected = len(data) + sum(len(province["cities"]) for province in data)
    if Region.objects.count() >= expected:
        return
    existing = {(region.province_id, region.name): region for region in Region.objects.all()}
    position = 0
    for province_data in data:
        position += 1
        province = existing.get((None, province_data["name"]))
        if province is None:
            province = Region.objects.create(name=province_data["name"], level=Region.Level.PROVINCE,
                                             position=position)
        missing = []
        for city_name in province_data["cities"]:
            position += 1
            if (province.pk, city_name) not in existing:
                missing.append(Region(name=city_name, level=Region.Level.CITY, province=province, position=position))
        Region.objects.bulk_create(missing)


def ensure_staff_groups():
    from django.contrib.auth.models import Group

    from core.permissions import StaffRole

    for role in StaffRole.values:
        Group.objects.get_or_create(name=role)


def ensure_reference_data(**_signal_kwargs):
    from core.schedules import ensure_default_schedules

    ensure_regions()
    ensure_staff_groups()
    ensure_default_schedules()
