"""Pictures for demo data, drawn with Pillow: product photos and avatars, stored like uploads.

A shop without pictures reads as unfinished, but the seeder must not fetch anything: each
image is a few flat shapes in the product's colour (a mug, a poster, a book…) or a user's
initials on a coloured disc. They go through Django's default storage under the names an
upload would get, with their thumbnails made as the upload jobs make them, so every tier
(local files today, an object store later) serves them the same way. Drawing and encoding
one costs a few milliseconds, so the seeder draws them only for the demo, and at most
``LIMIT`` of each.
"""

from __future__ import annotations

import io
from collections.abc import Callable

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from media_service.invoice import FONTS
from PIL import Image, ImageDraw, ImageFont

from app.platform.inputs.images import THUMBNAIL_SIZE

#: At most this many product images and this many avatars per seeding run.
LIMIT = 200
PRODUCT_SIZE = (800, 600)
AVATAR_SIZE = 256
#: Avatar backgrounds, picked by user id.
AVATAR_COLOURS = ["#3656d6", "#1f7a4d", "#c4623f", "#7b4fa0", "#2f6f8f", "#b8860b", "#a23b5a", "#4f7942"]
Draw = Callable[[ImageDraw.ImageDraw, str, str], None]


def store_product_images(product_id: int, noun: str, colour: str) -> tuple[str, str]:
    """Draw a product's picture, store it and its thumbnail; the stored names, for the row."""
    image = product_picture(noun, colour)
    original = _save(f"products/seed-{product_id}.jpg", image)
    thumb = image.copy()
    thumb.thumbnail(THUMBNAIL_SIZE)
    return original, _save(f"products/thumbs/seed-{product_id}-thumb.jpg", thumb)


def store_avatar(user_id: int, initials: str) -> tuple[str, str]:
    """Draw a user's initials on a disc, store it as avatar and thumbnail; the stored names."""
    image = avatar_picture(initials, AVATAR_COLOURS[user_id % len(AVATAR_COLOURS)])
    original = _save(f"avatars/seed-{user_id}.jpg", image)
    thumb = image.copy()
    thumb.thumbnail(THUMBNAIL_SIZE)
    return original, _save(f"avatars/thumbs/seed-{user_id}-thumb.jpg", thumb)


def product_picture(noun: str, colour: str) -> Image.Image:
    image = Image.new("RGB", PRODUCT_SIZE, _tint(colour, 0.82))
    draw = ImageDraw.Draw(image)
    # A soft floor, so the object stands somewhere.
    draw.rectangle((0, 430, PRODUCT_SIZE[0], PRODUCT_SIZE[1]), fill=_tint(colour, 0.7))
    drawing = next((draw_fn for key, draw_fn in DRAWINGS.items() if key in noun), _box)
    drawing(draw, colour, _tint(colour, -0.35))
    return image


def avatar_picture(initials: str, colour: str) -> Image.Image:
    image = Image.new("RGB", (AVATAR_SIZE, AVATAR_SIZE), colour)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(FONTS / "DejaVuSans-Bold.ttf"), 104)
    draw.text((AVATAR_SIZE / 2, AVATAR_SIZE / 2), initials.upper(), font=font, fill="#ffffff", anchor="mm")
    return image


def _mug(draw: ImageDraw.ImageDraw, colour: str, dark: str) -> None:
    draw.ellipse((470, 240, 590, 380), outline=dark, width=26)
    draw.rounded_rectangle((250, 180, 510, 470), radius=28, fill=colour, outline=dark, width=6)


def _poster(draw: ImageDraw.ImageDraw, colour: str, dark: str) -> None:
    draw.rectangle((250, 70, 550, 480), fill="#fbfaf7", outline=dark, width=8)
    draw.ellipse((420, 120, 500, 200), fill=_tint(colour, 0.3))
    draw.polygon([(270, 460), (370, 260), (450, 380), (490, 320), (530, 460)], fill=colour)


def _book(draw: ImageDraw.ImageDraw, colour: str, dark: str) -> None:
    draw.rounded_rectangle((270, 110, 530, 470), radius=12, fill=colour, outline=dark, width=6)
    draw.rectangle((270, 110, 305, 470), fill=dark)
    draw.rectangle((340, 180, 490, 230), fill=_tint(colour, 0.6))


def _bag(draw: ImageDraw.ImageDraw, colour: str, dark: str) -> None:
    draw.arc((320, 90, 480, 290), start=180, end=360, fill=dark, width=16)
    draw.polygon([(260, 190), (540, 190), (560, 480), (240, 480)], fill=colour, outline=dark)


def _round(draw: ImageDraw.ImageDraw, colour: str, dark: str) -> None:
    draw.ellipse((260, 140, 540, 420), fill=colour, outline=dark, width=8)
    draw.regular_polygon((400, 280, 80), n_sides=5, fill=_tint(colour, 0.6))


def _candle(draw: ImageDraw.ImageDraw, colour: str, dark: str) -> None:
    draw.rounded_rectangle((300, 220, 500, 470), radius=18, fill=colour, outline=dark, width=6)
    draw.line((400, 220, 400, 185), fill=dark, width=6)
    draw.ellipse((385, 130, 415, 190), fill="#f6b73c")


def _lamp(draw: ImageDraw.ImageDraw, colour: str, dark: str) -> None:
    draw.polygon([(300, 250), (500, 250), (450, 120), (350, 120)], fill=colour, outline=dark)
    draw.line((400, 250, 400, 450), fill=dark, width=14)
    draw.rounded_rectangle((320, 440, 480, 475), radius=10, fill=dark)


def _garment(draw: ImageDraw.ImageDraw, colour: str, dark: str) -> None:
    body = [(330, 130), (470, 130), (560, 200), (520, 260), (490, 240), (490, 470), (310, 470), (310, 240)]
    draw.polygon([*body, (280, 260), (240, 200)], fill=colour, outline=dark, width=6)
    draw.arc((360, 100, 440, 170), start=0, end=180, fill=dark, width=8)


def _box(draw: ImageDraw.ImageDraw, colour: str, dark: str) -> None:
    draw.rounded_rectangle((240, 180, 560, 470), radius=16, fill=colour, outline=dark, width=6)
    draw.rectangle((240, 250, 560, 275), fill=dark)


DRAWINGS: dict[str, Draw] = {
    "mug": _mug,
    "candle": _candle,
    "poster": _poster,
    "print": _poster,
    "notebook": _book,
    "zine": _book,
    "tote": _bag,
    "sticker": _round,
    "pin": _round,
    "cap": _round,
    "lamp": _lamp,
    "hoodie": _garment,
    "scarf": _garment,
}


def _tint(colour: str, amount: float) -> str:
    """``colour`` mixed towards white (``amount`` > 0) or black (< 0)."""
    channels = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    target = 255 if amount > 0 else 0
    mixed = [round(c + (target - c) * abs(amount)) for c in channels]
    return "#" + "".join(f"{c:02x}" for c in mixed)


def _save(name: str, image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85, optimize=True)
    return default_storage.save(name, ContentFile(buffer.getvalue()))
