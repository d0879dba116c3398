"""Company documents: recognised by their content (not their name), at most 10 MB, stored
outside the public media root, readable only by the company's members and by staff."""

import hashlib

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from accounts.models import CompanyDocument

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
SIGNATURES = [  # (leading bytes, content type, file extension)
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
]


def sniff_content_type(upload):
    """The document type from the file's first bytes, or None when it is none we accept."""
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    for signature, content_type, _extension in SIGNATURES:
        if head.startswith(signature):
            return content_type
    return None


def validate_document(upload):
    """Refuse empty, oversized and non-PDF/JPEG/PNG files (whatever their name says)."""
    name = getattr(upload, "name", "")
    if upload.size == 0:
        raise ValidationError(_("文件“%(name)s”是空文件，请重新选择。") % {"name": name}, code="empty_file")
    if upload.size > MAX_DOCUMENT_BYTES:
        raise ValidationError(
            _("文件“%(name)s”超过 10 MB，请压缩后重新上传。") % {"name": name}, code="file_too_large",
        )
    content_type = sniff_content_type(upload)
    if content_type is None:
        raise ValidationError(
            _("文件“%(name)s”不是 PDF、JPEG 或 PNG 文件（按文件内容识别，与文件名无关）。") % {"name": name},
            code="file_type_not_allowed",
        )
    return content_type


def store_document(*, company, kind, upload, by, application=None, freeze=None):
    """Save one validated upload as a CompanyDocument. Call inside the service's transaction."""
    content_type = validate_document(upload)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    document = CompanyDocument(
        company=company, application=application, freeze=freeze, kind=kind,
        original_name=(getattr(upload, "name", "") or kind)[:200], content_type=content_type, size=upload.size,
        sha256=digest.hexdigest(), uploaded_by=by,
    )
    document.file.save(upload.name or kind, upload, save=False)
    document.save()
    return document


def delete_document_file(document):
    """Remove the stored file (personal data minimisation); the record of it stays."""
    if document.file:
        document.file.delete(save=False)
        CompanyDocument.objects.filter(pk=document.pk).update(file="")
