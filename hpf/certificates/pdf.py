"""The signed PDF of a certificate, and the check of a PDF someone uploads.

``certificate_pdf(certificate)`` is the one function channels call to print or download: it
renders the stored row (hpf.certificates.render) and signs it with the centre's key as a PAdES
baseline-B certification signature (pyHanko), so a PDF reader shows it signed by the centre
and any later edit breaks the signature. ``pdf_check(data)`` answers, for an uploaded file:
is the signature intact, by the centre's certificate, covering the whole file, and which
certificate (serial) does it carry.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass
from functools import cache
from urllib.parse import quote

from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from django.conf import settings
from pyhanko.keys import load_cert_from_pemder, load_private_key_from_pemder
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.fields import MDPPerm, SigSeedSubFilter
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from hpf.certificates.codes import code_from_salt
from hpf.certificates.kinds import kind_spec
from hpf.certificates.models import Certificate
from hpf.certificates.render import RenderInput, render_pdf
from hpf.common.errors import InvalidTransition

logger = logging.getLogger(__name__)
_KEYWORDS_RE = re.compile(r"hpf-certificate\W+serial=(KM[0-9]{14})\W+code=([0-9A-Z]{10})")


# Room kept in the file for the signature container (an RSA-2048 CMS with its certificate
# needs about 3 KB): a fixed reservation spares pyHanko a trial signature to measure it.
SIGNATURE_BYTES_RESERVED = 16 * 1024


class CentreSigner(signers.SimpleSigner):
    """pyHanko's in-memory signer, keeping the parsed private key: the stock one parses the
    key again for every signature, which for RSA (with its consistency check) costs more than
    the rest of the signing (bench/README.md)."""

    def __init__(self, key_path: str, cert_path: str) -> None:
        super().__init__(
            signing_cert=load_cert_from_pemder(cert_path),  # type: ignore[no-untyped-call]
            signing_key=load_private_key_from_pemder(key_path, passphrase=None),
            cert_registry=SimpleCertificateStore(),  # type: ignore[no-untyped-call]
        )
        self._private = serialization.load_der_private_key(self.signing_key.dump(), None)

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
        if (
            isinstance(self._private, RSAPrivateKey)
            and mechanism.signature_algo == "rsassa_pkcs1v15"
        ):
            return self._private.sign(
                data, PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm)
            )
        return super().sign_raw(data, digest_algorithm)


@cache
def _signer() -> CentreSigner:
    try:
        return CentreSigner(str(settings.HPF_CERT_KEY_FILE), str(settings.HPF_CERT_FILE))
    except (OSError, ValueError, TypeError) as exc:
        raise RuntimeError(
            f"the centre's signing key or certificate cannot be loaded: {exc}"
        ) from exc


@cache
def centre_certificate() -> asn1_x509.Certificate:
    cert = _signer().signing_cert
    assert cert is not None
    return cert


def verify_url(serial: str, code: str) -> str:
    """The address in the QR code: the public page with serial and code filled in."""
    return f"{settings.HPF_PUBLIC_BASE_URL}/verify/{quote(serial)}?c={quote(code)}"


def render_input(certificate: Certificate) -> RenderInput:
    code = code_from_salt(certificate.code_salt)
    spec = kind_spec(certificate.kind)
    return RenderInput(
        serial=certificate.serial,
        kind=certificate.kind,
        kind_label=spec.label,
        snapshot=certificate.snapshot,
        issued_at=certificate.issued_at,
        valid_until=certificate.valid_until,
        hall=certificate.hall,
        code=code,
        verify_url=verify_url(certificate.serial, code),
        verify_page=f"{settings.HPF_PUBLIC_BASE_URL}/verify/",
        story=spec.story,
    )


def sign_pdf(unsigned: bytes, *, reason: str, signer: CentreSigner | None = None) -> bytes:
    """Sign with the centre's key: PAdES baseline B, a certification signature that allows
    no changes (DocMDP level 1)."""
    signer = signer or _signer()
    writer = IncrementalPdfFileWriter(io.BytesIO(unsigned))
    meta = signers.PdfSignatureMetadata(
        field_name="CentreSignature",
        md_algorithm="sha256",
        subfilter=SigSeedSubFilter.PADES,
        certify=True,
        docmdp_permissions=MDPPerm.NO_CHANGES,
        reason=reason,
        location="昆明",
        name=str(signer.subject_name or ""),
    )
    out = io.BytesIO()
    signers.PdfSigner(meta, signer=signer).sign_pdf(
        writer, output=out, bytes_reserved=SIGNATURE_BYTES_RESERVED
    )
    return out.getvalue()


def certificate_pdf(certificate: Certificate) -> bytes:
    """The certificate as a signed PDF. A revoked certificate is not printed again
    (``InvalidTransition``); an expired one is, and says its validity date."""
    if hasattr(certificate, "revocation"):
        raise InvalidTransition("该证明已作废，不能再打印或下载")
    unsigned = render_pdf(render_input(certificate))
    return sign_pdf(unsigned, reason=f"{kind_spec(certificate.kind).label} {certificate.serial}")


@dataclass(frozen=True, slots=True)
class PdfCheck:
    """The verdict on an uploaded PDF. ``genuine`` only when the one signature is intact,
    valid, made with the centre's certificate and covers the whole file."""

    signed: bool
    intact: bool
    valid: bool
    by_centre: bool
    whole_file: bool
    serial: str
    code: str

    @property
    def genuine(self) -> bool:
        return self.signed and self.intact and self.valid and self.by_centre and self.whole_file


_UNSIGNED = PdfCheck(False, False, False, False, False, "", "")


def pdf_check(data: bytes) -> PdfCheck:
    """Check an uploaded file (never raises on a malformed one: that is an unsigned PDF)."""
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        sigs = reader.embedded_signatures
    except Exception:  # anything that is not a readable PDF
        return _UNSIGNED
    if len(sigs) != 1:
        return _UNSIGNED
    sig = sigs[0]
    context = ValidationContext(trust_roots=[centre_certificate()], allow_fetching=False)
    try:
        status = validate_pdf_signature(sig, context)
    except Exception as exc:  # a mangled signature dictionary or CMS blob
        logger.info("uploaded PDF signature could not be validated: %s", type(exc).__name__)
        return PdfCheck(True, False, False, False, False, "", "")
    by_centre = sig.signer_cert.dump() == centre_certificate().dump()
    whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    serial = code = ""
    if whole:
        # Covered by the signature only when nothing was appended after it.
        info = reader.trailer_view.get("/Info")
        info = info.get_object() if info is not None else None
        keywords = str(info.get("/Keywords", "")) if isinstance(info, dict) else ""
        found = _KEYWORDS_RE.search(keywords)
        if found:
            serial, code = found.group(1), found.group(2)
    return PdfCheck(
        signed=True,
        intact=bool(status.intact),
        valid=bool(status.valid),
        by_centre=by_centre and bool(status.trusted),
        whole_file=whole,
        serial=serial,
        code=code,
    )
