"""The signed PDF: pyHanko validates the centre's signature, one flipped byte breaks it, the QR
code read back from a rendered page is the verification URL, the rendering is deterministic,
and each kind is rendered to PNG for a look (kept under $HPF_VAR_DIR/certificate-renders)."""

import datetime as dt
import hashlib
import io
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from hpf.certificates.codes import code_from_salt
from hpf.certificates.config import demo_signing_pair
from hpf.certificates.models import Certificate
from hpf.certificates.pdf import (
    CentreSigner,
    centre_certificate,
    certificate_pdf,
    pdf_check,
    render_input,
    sign_pdf,
)
from hpf.certificates.render import render_pdf
from hpf.certificates.services import canonical_json, certificate_revoke
from hpf.common.errors import InvalidTransition

pytestmark = pytest.mark.django_db


def _tool(*argv, **kwargs) -> subprocess.CompletedProcess[str]:
    """Run poppler's or zbar's command line tool. A missing one is an error, never a skip:
    ``make test`` installs them (scripts/bootstrap)."""
    if not shutil.which(argv[0]):
        raise RuntimeError(
            f"{argv[0]} is missing: run scripts/bootstrap test (poppler-utils, zbar-tools)"
        )
    return subprocess.run(argv, **kwargs)


def _validate(data: bytes):
    (sig,) = PdfFileReader(io.BytesIO(data)).embedded_signatures
    return validate_pdf_signature(sig, ValidationContext(trust_roots=[centre_certificate()]))


def test_signature_validates_against_the_centre_certificate(owner, issue):
    """Intact, valid, trusted; the signer is the centre's certificate; the file is whole."""
    data = certificate_pdf(issue(owner))
    status = _validate(data)
    assert status.intact and status.valid and status.trusted
    assert status.signing_cert.dump() == centre_certificate().dump()
    check = pdf_check(data)
    assert check.genuine and check.serial == "KM20261115000001"


def test_one_flipped_byte_breaks_the_signature(owner, issue):
    data = bytearray(certificate_pdf(issue(owner)))
    # A byte of page content inside the signed range (the first stream), not the signature.
    at = data.index(b"stream") + 40
    data[at] ^= 0x01
    status = _validate(bytes(data))
    assert not status.intact
    assert not pdf_check(bytes(data)).genuine


def test_forged_signature_is_not_the_centre(owner, issue, tmp_path):
    """The same document signed by another key (a forger's self-signed pair) has an intact
    signature, but not the centre's: not genuine."""
    key_pem, cert_pem = demo_signing_pair("伪造的签章")
    (tmp_path / "k.pem").write_bytes(key_pem)
    (tmp_path / "c.pem").write_bytes(cert_pem)
    forger = CentreSigner(str(tmp_path / "k.pem"), str(tmp_path / "c.pem"))
    forged = sign_pdf(render_pdf(render_input(issue(owner))), reason="forged", signer=forger)
    check = pdf_check(forged)
    assert check.signed and check.intact
    assert not check.by_centre and not check.genuine


def test_appended_update_is_not_genuine(owner, issue):
    """Anything appended after the signature (an incremental update) leaves the signed
    revision intact but not the whole file: not accepted."""
    data = certificate_pdf(issue(owner))
    appended = (
        data + b"\n1 0 obj\n<< /Keywords (hpf-certificate serial=KM20261115000009) >>\nendobj\n"
    )
    check = pdf_check(appended)
    assert not check.genuine


def test_rendering_is_deterministic(owner, issue):
    """The unsigned document is byte-identical on re-render; the facts are the snapshot's."""
    cert = issue(owner)
    first = render_pdf(render_input(cert))
    stored = Certificate.objects.get(pk=cert.pk)  # read back (jsonb on PostgreSQL)
    assert render_pdf(render_input(stored)) == first
    assert hashlib.sha256(canonical_json(stored.snapshot).encode()).hexdigest() == (
        stored.snapshot_sha256
    )
    assert first.count(b"/FontFile2") == 2  # both CJK TrueType fonts embedded (as subsets)
    assert b"STSong" not in first
    assert b"(D:20261115120000+08'00')" in first  # dated at its issue time, not 2000-01-01


def test_revoked_certificate_is_not_printed_again(owner, issue, clerk):
    cert = issue(owner)
    certificate_revoke(clerk, serial=cert.serial, reason="遗失")
    cert.refresh_from_db()
    with pytest.raises(InvalidTransition):
        certificate_pdf(cert)


def _render_png(data: bytes, out_dir: Path, stem: str, dpi: int = 100) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    pdf = out_dir / f"{stem}.pdf"
    pdf.write_bytes(data)
    _tool("pdftoppm", "-png", "-r", str(dpi), pdf, out_dir / stem, check=True)
    return sorted(out_dir.glob(f"{stem}*.png"))


def test_qr_decodes_to_the_verification_url(owner, issue, tmp_path):
    cert = issue(owner)
    (page,) = _render_png(certificate_pdf(cert), tmp_path, "qr", dpi=150)
    out = _tool(
        "zbarimg", "--quiet", "--raw", page, check=True, capture_output=True, text=True
    ).stdout.strip()
    code = code_from_salt(cert.code_salt)
    assert out == f"{settings.HPF_PUBLIC_BASE_URL}/verify/{cert.serial}?c={code}"


def test_pdfsig_agrees(owner, issue, tmp_path):
    """Poppler's own verifier sees a valid signature (its trust store does not hold the demo
    certificate, so only the signature itself is asserted)."""
    path = tmp_path / "c.pdf"
    path.write_bytes(certificate_pdf(issue(owner)))
    out = _tool("pdfsig", path, capture_output=True, text=True).stdout
    assert "Signature is Valid." in out, out


def test_every_kind_renders_to_png(owner, issue, paid_off_loan):
    """Each kind renders to a non-blank A4 page; the PNGs are kept for a human look."""
    out_dir = Path(settings.VAR_DIR) / "certificate-renders"
    certs = {
        "deposit": issue(owner),
        "statement": issue(
            owner, "STATEMENT", date_from=dt.date(2026, 8, 1), date_to=dt.date(2026, 11, 15)
        ),
        "loan-payoff": issue(owner, "LOAN_PAYOFF", loan_id=paid_off_loan.pk),
    }
    for name, cert in certs.items():
        pages = _render_png(certificate_pdf(cert), out_dir, name)
        assert len(pages) == 1
        header = pages[0].read_bytes()[:24]
        assert header.startswith(b"\x89PNG")
        width = int.from_bytes(header[16:20], "big")
        height = int.from_bytes(header[20:24], "big")
        assert width == 827 and height in (1169, 1170)  # A4 at 100 dpi
        assert pages[0].stat().st_size > 20_000  # text, table, seal and QR, not a blank page


def test_fonts_are_the_packages_own():
    """The two embedded fonts are the files shipped in hpf/certificates/typefaces (with their
    licences), never a system font: a certificate prints the same on every machine."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    from hpf.certificates import fonts

    chosen = fonts.certificate_fonts()
    shipped = Path(fonts.__file__).parent / "typefaces"
    for name, face, file in (
        (chosen.song, b"UMingCN", "uming.ttc"),
        (chosen.hei, b"WenQuanYiZenHei", "wqy-zenhei.ttc"),
    ):
        registered = pdfmetrics.getFont(name)
        assert isinstance(registered, TTFont)
        font = registered.face
        assert font.name == face
        assert Path(font.filename) == shipped / file
    licences = {p.name for p in shipped.iterdir()}
    assert {"README.md", "ARPHICPL.TXT", "COPYRIGHT-fonts-wqy-zenhei", "GPL-2"} <= licences
