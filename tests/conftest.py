import pytest

from core.cache import bump
from tests import factories


@pytest.fixture(autouse=True)
def _fresh_catalog_cache():
    """Tests roll their data back without committing, so no change ever bumps the cached
    catalogue; start each test with a version no cached page belongs to."""
    bump("catalog")


@pytest.fixture
def seller(db):
    return factories.company(name="山东测试纸业有限公司")


@pytest.fixture
def buyer(db):
    return factories.company(name="上海测试包装有限公司")


@pytest.fixture
def member_client(client, buyer):
    client.force_login(factories.main_user_of(buyer))
    return client


@pytest.fixture
def staff_client(client, db):
    client.force_login(factories.staff_user("reviewer"))
    return client
