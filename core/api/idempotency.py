"""`Idempotency-Key` on POST: the same key and body replay the first response; the same key
with another body is refused (422); a repeat while the first is still running gets 409.

Keys are per caller (API key or signed-in user) and honoured for 24 hours. A multipart upload
is compared by its fields and the SHA-256 of each file, not by its raw bytes: a client that
retries builds a new multipart boundary, and that must still count as the same request.
"""

import hashlib
import json

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from core import rows
from core.api.errors import IdempotentReplay
from core.errors import BusinessRuleError, Conflict
from core.models import IdempotencyRecord

HEADER = "HTTP_IDEMPOTENCY_KEY"


def _owner(request):
    if request.auth is not None and hasattr(request.auth, "prefix"):
        return f"key:{request.auth.pk}"
    return f"user:{request.user.pk}"


def _multipart_fingerprint(request) -> bytes:
    fields = {name: request.POST.getlist(name) for name in sorted(request.POST)}
    files = {}
    for name in sorted(request.FILES):
        hashes = []
        for upload in request.FILES.getlist(name):
            digest = hashlib.sha256()
            for chunk in upload.chunks():
                digest.update(chunk)
            upload.seek(0)
            hashes.append([upload.name, digest.hexdigest()])
        files[name] = hashes
    return json.dumps({"fields": fields, "files": files}, ensure_ascii=False, sort_keys=True).encode()


def request_digest(request) -> str:
    """What makes two requests "the same": method, path and content."""
    content_type = request.META.get("CONTENT_TYPE", "")
    content = _multipart_fingerprint(request) if content_type.startswith("multipart/form-data") else request.body
    return hashlib.sha256(request.method.encode() + request.path.encode() + b"\n" + content).hexdigest()


def _claim(**fields):
    """Insert the record unless the owner already used the key: one statement, no transaction of
    its own (every API POST runs it). Returns the new record, or None when the key was taken."""
    fields["created_at"] = timezone.now()
    table = IdempotencyRecord._meta.db_table
    columns = ", ".join(f'"{IdempotencyRecord._meta.get_field(name).column}"' for name in fields)
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO "{table}" ({columns}) VALUES ({", ".join(["%s"] * len(fields))}) '  # noqa: S608
            'ON CONFLICT ("owner", "key") DO NOTHING RETURNING "id"', list(fields.values()))
        row = cursor.fetchone()
    return IdempotencyRecord(pk=row[0], **fields) if row else None


def begin(request):
    """Reserve the key for this request, or raise the stored answer. Returns the record or None."""
    key = request.META.get(HEADER, "").strip()
    if request.method != "POST" or not key or not request.user.is_authenticated:
        return None
    if len(key) > 200:
        raise BusinessRuleError(_("Idempotency-Key 不能超过 200 个字符。"), code="idempotency_key_too_long")
    digest = request_digest(request)
    owner = _owner(request)
    record = _claim(owner=owner, key=key, method=request.method, path=request.path[:300], request_hash=digest)
    if record is not None:
        return record
    existing = IdempotencyRecord.objects.get(owner=owner, key=key)
    if existing.request_hash != digest:
        raise BusinessRuleError(
            _("该 Idempotency-Key 已用于内容不同的请求。"), code="idempotency_key_reused",
        )
    if existing.status_code is None:
        raise Conflict(_("使用该 Idempotency-Key 的请求仍在处理中，请稍后重试。"), code="idempotency_in_progress")
    raise IdempotentReplay(existing.status_code, existing.response_body)


# Every answered POST runs it: prepared once per database session (core.rows).
_STORE_ANSWER = (f'UPDATE "{IdempotencyRecord._meta.db_table}" '  # noqa: S608
                 'SET "status_code" = %s, "response_body" = %s WHERE "id" = %s')


def finish(record, response):
    """Keep the answer for replay; forget the key after a server error so a retry can run."""
    if response.status_code >= 500:
        IdempotencyRecord.objects.filter(pk=record.pk).delete()
        return
    body = IdempotencyRecord._meta.get_field("response_body").get_db_prep_save(
        getattr(response, "data", None), connection)
    rows.execute(_STORE_ANSWER, [response.status_code, body, record.pk], prepared="tp_idempotency_answer")



class IdempotentMixin:
    """Mix into every API view (core.api.views does it for the base classes)."""

    def initial(self, request, *args, **kwargs):
        self._idempotency_record = None
        super().initial(request, *args, **kwargs)
        self._idempotency_record = begin(request)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        record = getattr(self, "_idempotency_record", None)
        if record is not None:
            self._idempotency_record = None
            finish(record, response)
        return response
