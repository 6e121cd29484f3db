"""Issued certificates and their revocations are write-once snapshots."""

from hpf.common.dbguards import Guards

GUARDS = Guards(append_only=("certificates_certificate", "certificates_certificaterevocation"))
