"""Listing images: recognised by content (Pillow decodes them), size-limited, and re-encoded.

Re-encoding every upload as a fresh JPEG (longest side at most 1600 px) with a 400 px
thumbnail means the platform never serves the bytes a seller uploaded: no scripts hidden in an
"image", no EXIF location data, no 30-megapixel photos on a product page.
"""

from io import BytesIO

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP"}
FULL_SIZE = 1600
THUMBNAIL_SIZE = 400
MAX_IMAGES = 8


def _open(upload) -> Image.Image:
    if upload.size == 0:
        raise ValidationError(_("图片文件是空的。"), code="empty_image")
    if upload.size > MAX_BYTES:
        raise ValidationError(_("图片不能超过 5 MB。"), code="image_too_large")
    upload.seek(0)
    try:
        with Image.open(upload) as probe:
            image_format = probe.format
            if probe.width * probe.height > MAX_PIXELS:
                raise ValidationError(_("图片尺寸过大（超过 4000 万像素）。"), code="image_too_many_pixels")
            probe.verify()
        upload.seek(0)
        image = Image.open(upload)
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
        raise ValidationError(_("只能上传 JPEG、PNG 或 WebP 图片，该文件不是可识别的图片。"),
                              code="not_an_image") from None
    if image_format not in ACCEPTED_FORMATS:
        raise ValidationError(_("只能上传 JPEG、PNG 或 WebP 图片，该文件不是可识别的图片。"), code="not_an_image")
    return image


def validate_image(upload):
    """Form validator: the same checks as `prepare_image`, without keeping the result."""
    _open(upload).close()


def _jpeg(image: Image.Image, longest_side: int) -> ContentFile:
    copy = image.copy()
    copy.thumbnail((longest_side, longest_side))
    buffer = BytesIO()
    copy.save(buffer, format="JPEG", quality=85, optimize=True)
    return ContentFile(buffer.getvalue(), name="image.jpg")


def prepare_image(upload) -> tuple[ContentFile, ContentFile]:
    """(full-size JPEG, thumbnail JPEG) for an uploaded picture, or a ValidationError."""
    image = _open(upload)
    try:
        image = ImageOps.exif_transpose(image).convert("RGB")
        return _jpeg(image, FULL_SIZE), _jpeg(image, THUMBNAIL_SIZE)
    finally:
        image.close()
