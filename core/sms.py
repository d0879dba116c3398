"""Text messages (短信): one small interface, the backend chosen by `settings.SMS_BACKEND`.

A backend is a class with `send(to, text)`. The console backend (the default) only logs;
the locmem backend keeps messages in `core.sms.outbox`, as Django's locmem mail backend does
with `django.core.mail.outbox`, so tests can read the codes a user would receive. A gateway
(Aliyun, Tencent Cloud…) is one more class with the same method.
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

DEFAULT_BACKEND = "core.sms.ConsoleBackend"

outbox: list["SMSMessage"] = []


@dataclass(frozen=True)
class SMSMessage:
    to: str
    text: str


class BaseBackend:
    def send(self, to: str, text: str) -> None:
        raise NotImplementedError


class ConsoleBackend(BaseBackend):
    """Logs the message instead of sending it (development)."""

    def send(self, to, text):
        logger.info("SMS to %s: %s", to, text)


class LocmemBackend(BaseBackend):
    """Appends the message to `core.sms.outbox` (tests)."""

    def send(self, to, text):
        outbox.append(SMSMessage(to=to, text=text))


def get_backend() -> BaseBackend:
    return import_string(getattr(settings, "SMS_BACKEND", DEFAULT_BACKEND))()


def send_sms(*, to: str, text: str) -> None:
    get_backend().send(to, str(text))
