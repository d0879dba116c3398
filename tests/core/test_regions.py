import pytest

from core.models import Region

pytestmark = pytest.mark.django_db


def test_region_list_from_the_seed_document_is_loaded():
    provinces = Region.objects.filter(level="province")
    assert provinces.count() == 34
    assert Region.objects.get(level="city", name="北京市").province.name == "北京市"
    assert set(Region.objects.filter(province__name="山西省").values_list("name", flat=True)) >= {"太原", "大同"}
    # the scrape's lost comma ("兴平山西省") is repaired
    assert Region.objects.filter(province__name="陕西省", name="兴平").exists()
    assert not Region.objects.filter(name__contains="[").exists()
