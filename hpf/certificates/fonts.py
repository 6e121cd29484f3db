"""The CJK fonts a certificate is printed in, found on the system and embedded in the PDF.

ReportLab embeds TrueType fonts (as subsets: only the characters used). A Song/Ming face for
the body and a Hei face for titles are looked for along the path lists below (Debian's
fonts-arphic-uming and fonts-wqy-zenhei / fonts-wqy-microhei); with none of them installed
the document falls back to ReportLab's built-in ``STSong-Light``, which is *not* embedded (its
look depends on the reader's fonts), and a warning says so once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont

logger = logging.getLogger(__name__)

# (path, sub-font index in a .ttc collection), in order of preference.
SONG_CANDIDATES = (
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),  # AR PL UMing CN
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
)
HEI_CANDIDATES = (
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),  # WenQuanYi Zen Hei
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
)
FALLBACK = "STSong-Light"


@dataclass(frozen=True, slots=True)
class Fonts:
    song: str
    hei: str
    embedded: bool


def _register(name: str, candidates: tuple[tuple[str, int], ...]) -> str | None:
    for path, index in candidates:
        if Path(path).is_file():
            try:
                pdfmetrics.registerFont(TTFont(name, path, subfontIndex=index))
            except Exception as exc:  # a broken or PostScript-outline font: try the next
                logger.warning("CJK font %s#%d cannot be embedded: %s", path, index, exc)
                continue
            return name
    return None


@cache
def certificate_fonts() -> Fonts:
    """Register the fonts once per process (parsing a CJK font takes a tenth of a second)."""
    song = _register("HPFSong", SONG_CANDIDATES)
    hei = _register("HPFHei", HEI_CANDIDATES)
    if song and hei:
        return Fonts(song, hei, embedded=True)
    logger.warning(
        "No embeddable CJK TrueType font found (install fonts-arphic-uming or fonts-wqy-zenhei); "
        "certificates fall back to %s, which is not embedded and looks different per reader.",
        FALLBACK,
    )
    pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK))
    return Fonts(song or FALLBACK, hei or song or FALLBACK, embedded=False)
