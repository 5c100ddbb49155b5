"""The fax folder FreeSWITCH shares with the app and the bridge (CALLPLAN_FAX_DIR; `callplan_fax_dir` in
freeswitch/vars.xml), and the conversions between what people use (PDF) and what fax machines use (TIFF).

    rx-<call uuid>.tif / .pdf   a fax received by a plan's step (mod_spandsp's rxfax writes the TIFF,
                                the bridge makes the PDF it mails)
    tx-<fax id>.tif / .pdf      a fax sent from the portal (the upload, and the TIFF txfax reads)

As with voicemail (web/domain/voicemail_files.py), FreeSWITCH may see the folder at another path (another
mount, compose.yaml): only file names are stored and passed around, each side joins them to its own path.

PDF -> TIFF: pypdfium2 (PDFium, the PDF engine of Chromium) renders each page, Pillow writes the pages as
one multi-page TIFF the way T.4 fax expects it: 1728 pixels wide (an A4 / Letter fax line), "fine"
resolution (204 x 196 dpi), black and white, CCITT G4 (spandsp reads G3 and G4 and re-encodes for the
line). TIFF -> PDF: Pillow reads spandsp's TIFF (any of its compressions, through libtiff) and writes one
PDF page per TIFF page, sized by the TIFF's own resolution so a fine or standard page prints as A4."""

from __future__ import annotations

import io
import os
import re
from typing import Optional

from web import side_effects

FAX_WIDTH = 1728  # pixels per fax line (ITU-T T.4, A4)
FINE_DPI = (204, 196)  # "fine": 8 dots per mm across, 7.7 lines per mm down
MAX_PAGES = 50  # a fax of more pages is a job for e-mail, and takes about an hour on the line
MAX_UPLOAD_BYTES = 10 * 1024 * 1024

_NAME = re.compile(r"^(rx-[A-Za-z0-9-]{1,64}|tx-[0-9]{1,12})\.(tif|pdf)\Z")


class NotAPdf(ValueError):
    """The upload is no PDF PDFium can open (or has no pages, too many, or a password)."""


def received_name(call_uuid: str) -> str:
    return f"rx-{call_uuid}.tif"


def sent_names(fax_id: int) -> tuple[str, str]:
    return f"tx-{int(fax_id)}.tif", f"tx-{int(fax_id)}.pdf"


def own_name(name: str) -> str:
    """The file name of one of our fax files (any path FreeSWITCH put before it dropped); "" when it is none."""
    base = os.path.basename(name or "")
    return base if _NAME.match(base) else ""


def shared_file(fax_dir: str, name: str) -> Optional[str]:
    """The file `name` as this side of the shared folder sees it, when `name` is one of ours; else None."""
    base = own_name(name)
    return os.path.join(fax_dir, base) if base else None


def existing_file(fax_dir: str, name: str) -> Optional[str]:
    """shared_file, when it is there and really inside the folder (no link out of it)."""
    path = shared_file(fax_dir, name)
    if path is None:
        return None
    root = os.path.realpath(fax_dir)
    real = os.path.realpath(path)
    if os.path.commonpath([root, real]) != root or not os.path.isfile(real):
        return None
    return real


def ensure_folder(fax_dir: str) -> None:
    os.makedirs(fax_dir, exist_ok=True)


def _write_atomically(path: str, data: bytes) -> None:
    side_effects.happened("wrote a fax file")
    # FreeSWITCH or the outbox may open the file at any moment: it is whole or not there
    temporary = f"{path}.part"
    with open(temporary, "wb") as file:
        file.write(data)
    os.replace(temporary, path)


def pdf_pages(data: bytes) -> int:
    """How many pages the PDF has; NotAPdf when PDFium cannot open it or it has none or too many."""
    import pypdfium2

    if not data.startswith(b"%PDF-"):
        raise NotAPdf("not a PDF")
    try:
        document = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError as exc:
        raise NotAPdf(str(exc)) from exc
    try:
        count = len(document)
    finally:
        document.close()
    if count < 1:
        raise NotAPdf("the PDF has no pages")
    if count > MAX_PAGES:
        raise NotAPdf(f"the PDF has {count} pages; a fax has at most {MAX_PAGES}")
    return count


def pdf_to_tiff(data: bytes, path: str) -> int:
    """The PDF as a fax TIFF at `path` (multi-page, 1728 wide, fine, G4); its page count."""
    import pypdfium2
    from PIL import Image

    pdf_pages(data)
    document = pypdfium2.PdfDocument(data)
    pages = []
    try:
        for page in document:
            width_pt, height_pt = page.get_size()
            # scale so the page's width fills the fax line; the height follows at fine's own dpi
            scale = FAX_WIDTH / width_pt
            bitmap = page.render(scale=scale, grayscale=True)
            image = bitmap.to_pil().convert("L")
            page.close()
            height = max(1, round(height_pt / 72 * FINE_DPI[1]))
            image = image.resize((FAX_WIDTH, height))
            # a threshold, not dithering: text stays crisp and compresses well in G4
            pages.append(image.point(lambda value: 255 if value > 160 else 0).convert("1"))
    finally:
        document.close()
    buffer = io.BytesIO()
    pages[0].save(buffer, format="TIFF", save_all=True, append_images=pages[1:], compression="group4",
                  dpi=FINE_DPI)
    _write_atomically(path, buffer.getvalue())
    return len(pages)


def tiff_pages(path: str) -> int:
    from PIL import Image

    with Image.open(path) as image:
        return getattr(image, "n_frames", 1)


def tiff_to_pdf(tiff_path: str, pdf_path: str) -> int:
    """The fax TIFF as a PDF, one page per TIFF page at the TIFF's resolution; the page count."""
    from PIL import Image, ImageSequence

    with Image.open(tiff_path) as image:
        frames = []
        for frame in ImageSequence.Iterator(image):
            dpi = frame.info.get("dpi") or FINE_DPI
            # a standard-resolution fax (98 lines per inch) is stretched to square pixels so the page is A4
            x_dpi, y_dpi = float(dpi[0] or FINE_DPI[0]), float(dpi[1] or FINE_DPI[1])
            page = frame.convert("1")
            if abs(x_dpi - y_dpi) > 1:
                page = page.resize((page.width, max(1, round(page.height * x_dpi / y_dpi))))
            frames.append((page, x_dpi))
    if not frames:
        raise ValueError("a TIFF without pages")
    buffer = io.BytesIO()
    first, resolution = frames[0]
    first.save(buffer, format="PDF", save_all=True, append_images=[page for page, _ in frames[1:]],
               resolution=resolution)
    _write_atomically(pdf_path, buffer.getvalue())
    return len(frames)
