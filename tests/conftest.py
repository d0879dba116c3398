import pytest

from core.cache import bump
from orders.selectors import SETTINGS_NAMESPACE
from tests import factories


@pytest.fixture(autouse=True)
def _fresh_cached_versions():
    """Tests roll their data back without committing, so no change ever bumps the cached
    catalogue or order settings; start each test with versions nothing cached belongs to."""
    bump("catalog")
    bump(SETTINGS_NAMESPACE)


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
