"""The CJK fonts a certificate is printed in, shipped inside this package and embedded in the PDF.

A certificate must print the same on every machine, so its fonts are not looked up on the
system: AR PL UMing CN (a Song/Ming face, the body) and WenQuanYi Zen Hei (a Hei face, titles
and labels) come from ``typefaces/`` beside this module, where their licences and origin are
recorded (``typefaces/README.md``). ReportLab embeds them as subsets (only the characters used).
A package without them is broken: loading fails loudly rather than printing in another font.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.resources import as_file, files

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

# The font files inside the package: (ReportLab name, file, sub-font index in the collection).
SONG = ("HPFSong", "uming.ttc", 0)  # AR PL UMing CN
HEI = ("HPFHei", "wqy-zenhei.ttc", 0)  # WenQuanYi Zen Hei


@dataclass(frozen=True, slots=True)
class Fonts:
    song: str
    hei: str


def _register(name: str, filename: str, index: int) -> str:
    # ReportLab reads the whole file when the font is made, so a temporary path will do.
    with as_file(files("hpf.certificates").joinpath("typefaces", filename)) as path:
        pdfmetrics.registerFont(TTFont(name, str(path), subfontIndex=index))
    return name


@cache
def certificate_fonts() -> Fonts:
    """Register the two fonts once per process: parsing a CJK collection is slow enough that
    a certificate must not pay for it."""
    return Fonts(song=_register(*SONG), hei=_register(*HEI))
