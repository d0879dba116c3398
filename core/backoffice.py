"""The staff back office shell: dashboard and audit-log search.

Apps add their work queues to the dashboard with `register_queue()` in their AppConfig.ready(),
so the shell does not need to know every app.
"""

import csv
from dataclasses import dataclass

from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from core import selectors
from core.inputs import parse_query_date
from core.permissions import StaffRole, staff_required, staff_roles


@dataclass(frozen=True)
class WorkQueue:
    key: str
    label: str
    url_name: str
    count: callable  # () -> int
    roles: tuple = ()  # who sees it; empty: every staff member


_queues: dict[str, WorkQueue] = {}


def register_queue(*, key, label, url_name, count, roles=()):
    _queues[key] = WorkQueue(key=key, label=label, url_name=url_name, count=count, roles=tuple(roles))


def queues_for(user):
    held = staff_roles(user)
    return [queue for queue in _queues.values() if not queue.roles or held.intersection(queue.roles)]


@staff_required()
def dashboard(request):
    queues = [{"queue": queue, "count": queue.count()} for queue in queues_for(request.user)]
    recent = selectors.audit_events()[:10]
    return render(request, "backoffice/dashboard.html", {
        "queues": queues,
        "recent_events": recent,
        "roles": [StaffRole(role).label for role in sorted(staff_roles(request.user))],
    })


AUDIT_ROLES = (StaffRole.ADMINISTRATOR, StaffRole.LEGAL, StaffRole.CUSTOMER_SERVICE, StaffRole.REVIEWER,
               StaffRole.FINANCE, StaffRole.ACCOUNT_MANAGER)


@staff_required(*AUDIT_ROLES)
def audit_log(request):
    filters = {
        "action": request.GET.get("action", "").strip(),
        "text": request.GET.get("q", "").strip(),
        "since": parse_query_date(request.GET.get("since")),
        "until": parse_query_date(request.GET.get("until")),
    }
    events = selectors.audit_events(**filters)
    if request.GET.get("format") == "csv":
        return audit_csv_response(events)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(request, "backoffice/audit_log.html", {"page": page, "filters": filters,
                                                         "query": request.GET.urlencode()})


class _Echo:
    def write(self, value):
        return value


def audit_csv_response(events, filename="audit-log.csv"):
    """Stream audit rows as CSV (UTF-8 with BOM, so Excel shows the Chinese correctly)."""
    writer = csv.writer(_Echo())
    header = [_("时间"), _("操作人"), _("企业"), _("动作"), _("对象"), _("变更前"), _("变更后"), _("原因"), _("来源")]

    def rows():
        yield "\ufeff" + writer.writerow(header)  # BOM so Excel opens UTF-8 Chinese correctly
        for event in events.iterator(chunk_size=2000):
            yield writer.writerow([
                timezone.localtime(event.occurred_at).strftime("%Y-%m-%d %H:%M:%S"), event.actor_label,
                event.company.name if event.company else "", event.action, event.subject_repr,
                event.before, event.after, event.reason, event.source,
            ])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response

