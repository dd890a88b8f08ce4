"""Decoding and re-encoding images with Pillow.

Every image is decoded before it is stored: a file that only *starts* like a PNG is
refused, a decompression bomb (a small file that unpacks to gigapixels) is refused
before its pixels are decoded, and re-encoding drops EXIF (GPS position, camera
serial), XMP, comments and colour profiles, none of which a reader needs.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

from app.core.errors import Invalid
from app.uploads.sniffing import GIF, JPEG, PNG, WEBP

_PILLOW_FORMATS = {PNG: "PNG", JPEG: "JPEG", GIF: "GIF", WEBP: "WEBP"}


def open_image(data: bytes, content_type: str, max_pixels: int) -> Image.Image:
    """Open and fully decode ``data``, which the sniffer called ``content_type``."""
    too_big = Invalid(
        f"That image is too large: at most {max_pixels:,} pixels (width × height).", field="file"
    )
    try:
        with warnings.catch_warnings():
            # Pillow warns (and past twice its limit refuses) for huge images; both
            # mean the same here.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
            if probe.format != _PILLOW_FORMATS[content_type]:
                raise Invalid("The image could not be read.", field="file")
            width, height = probe.size
            if width * height > max_pixels:
                raise too_big
            probe.verify()  # checks the structure (CRCs, truncation); the object is then spent
            image = Image.open(io.BytesIO(data))
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_big
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise Invalid("The image could not be read: it is damaged or not an image.", field="file")
    return image


def is_animated(image: Image.Image) -> bool:
    return bool(getattr(image, "is_animated", False))


def _pixels_only(image: Image.Image) -> Image.Image:
    """The same pixels with no metadata at all (EXIF, XMP, ICC, comments)."""
    image = ImageOps.exif_transpose(image)  # keep the orientation the camera recorded
    if image.mode not in ("RGB", "RGBA", "L", "LA"):
        image = image.convert("RGBA" if "A" in image.getbands() or "transparency" in image.info else "RGB")
    return Image.frombytes(image.mode, image.size, image.tobytes())


def _encode(image: Image.Image, pillow_format: str) -> bytes:
    buffer = io.BytesIO()
    if pillow_format == "JPEG":
        image = image.convert("RGB")
        image.save(buffer, "JPEG", quality=88, optimize=True)
    elif pillow_format == "WEBP":
        image.save(buffer, "WEBP", quality=85, method=4)
    else:
        image.save(buffer, pillow_format, optimize=True)
    return buffer.getvalue()


def avatar_bytes(image: Image.Image, size: int) -> bytes:
    """A ``size``-pixel square WebP, cropped to the centre."""
    square = ImageOps.fit(_pixels_only(image), (size, size), method=Image.Resampling.LANCZOS)
    return _encode(square, "WEBP")


def logo_bytes(image: Image.Image, box: tuple[int, int]) -> bytes:
    """A WebP inside ``box`` (width, height), aspect ratio kept, transparency kept."""
    logo = _pixels_only(image)
    logo.thumbnail(box, Image.Resampling.LANCZOS)
    return _encode(logo, "WEBP")


def attachment_bytes(image: Image.Image, content_type: str, data: bytes, max_side: int) -> bytes:
    """An image for a post, in its own format, at most ``max_side`` pixels on a side and
    without metadata. Animations are kept as uploaded (already decoded and checked):
    re-encoding them frame by frame would cost more than it is worth (and GIF has no
    EXIF block to strip)."""
    if is_animated(image) or content_type == GIF:
        return data  # GIF has no EXIF block to strip
    still = _pixels_only(image)
    still.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return _encode(still, _PILLOW_FORMATS[content_type])
