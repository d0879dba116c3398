"""Debt resolution (SPEC §7): the obligations registry and clearing runs (`obligations`), and
cases with guarantees, instalment plans and debt for goods (`cases`)."""

from debt.models.cases import *  # noqa: F403
from debt.models.obligations import *  # noqa: F403
