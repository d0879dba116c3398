"""The production-like compose file: parsed and checked, since no Docker engine runs here."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_the_five_services_with_health_checks():
    services = compose()["services"]
    assert set(services) == {"postgres", "redis", "web", "worker", "beat"}
    for name, service in services.items():
        assert "healthcheck" in service, name
    assert services["postgres"]["image"].startswith("postgres:16")
    assert services["redis"]["image"].startswith("redis:7")


def test_app_services_share_one_configuration_from_the_environment():
    services = compose()["services"]
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        for variable in ("DATABASE_URL", "REDIS_URL", "DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "EMAIL_URL",
                         "DJANGO_DEBUG"):
            assert variable in env, (name, variable)
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "celery" in " ".join(services["worker"]["command"]) and "worker" in services["worker"]["command"]
    assert "django_celery_beat.schedulers:DatabaseScheduler" in services["beat"]["command"]
    assert "gunicorn" in services["web"]["command"]


def test_data_lives_in_named_volumes():
    document = compose()
    assert {"pgdata", "redisdata"} <= set(document["volumes"])
    assert "pgdata:/var/lib/postgresql/data" in document["services"]["postgres"]["volumes"]
