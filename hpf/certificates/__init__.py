"""Verifiable stamped certificates (缴存证明, 账户明细单, 贷款结清证明).

For channels (counter, portal): ``services.certificate_issue(actor, *, account_id, kind,
purpose, hall, date_from=None, date_to=None, loan_id=None) -> Certificate`` and
``pdf.certificate_pdf(certificate) -> bytes`` (the signed PDF, as often as needed);
``selectors.certificate_list`` / ``certificate_get`` for re-download, ``certificate_lookups``
for "who verified my certificates", ``services.certificate_revoke`` to revoke. The public
verification channel is ``hpf.channels.verify``.
"""
