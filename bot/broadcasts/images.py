"""Pictures for broadcasts: accepted only if their bytes are a PNG, JPEG or WebP image
(the file name and the browser's content type prove nothing), stored in the database so
every API process serves them, and fetched by the providers from PUBLIC_BASE_URL."""

from __future__ import annotations

from sqlmodel import Session

from bot.broadcasts.errors import Invalid, NotFound
from bot.broadcasts.models import BroadcastImage

SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)


def sniff(data: bytes) -> str | None:
    """The image type the bytes begin with, or None."""
    for magic, content_type in SIGNATURES:
        if data.startswith(magic):
            return content_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def store_image(session: Session, data: bytes, limit: int, author: str) -> str:
    """Keep an uploaded picture; returns the path a broadcast refers to."""
    if not data:
        raise Invalid("Die Datei ist leer.")
    if len(data) > limit:
        raise Invalid(f"Das Bild ist größer als {limit // (1024 * 1024)} MB.")
    content_type = sniff(data)
    if content_type is None:
        raise Invalid("Das ist kein Bild (erlaubt sind PNG, JPEG und WebP).")
    row = BroadcastImage(content_type=content_type, data=data, created_by=author)
    session.add(row)
    session.flush()
    return f"/media/broadcasts/{row.id}"


def image(session: Session, image_id: int) -> tuple[str, bytes]:
    row = session.get(BroadcastImage, image_id)
    if row is None:
        raise NotFound("Kein Bild mit dieser Nummer.")
    return row.content_type, row.data
