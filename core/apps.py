from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("平台公共")

    def ready(self):
        from django.db.models.signals import post_migrate

        from core.reference_data import ensure_reference_data

        # Sent after every migration ran (so all tables exist) and after test flushes.
        post_migrate.connect(ensure_reference_data, sender=self, dispatch_uid="core.ensure_reference_data")
