"""The link between the province's identity service and a depositor.

The province names a person by a stable subject (``sub``) per issuer. The first sign-in links
that subject to the depositor whose ID number and name match the centre's records; later
sign-ins find the depositor through the link alone. The link stores no ID number.
"""

from __future__ import annotations

from django.db import models

from hpf.registry.models import Depositor


class GovAppLink(models.Model):
    issuer = models.CharField(max_length=200)
    subject = models.CharField(max_length=200)
    depositor = models.ForeignKey(Depositor, on_delete=models.PROTECT, related_name="+")
    linked_at = models.DateTimeField()
    last_sign_in_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="govapp_link_subject"),
            models.UniqueConstraint(fields=["issuer", "depositor"], name="govapp_link_depositor"),
        ]

    def __str__(self) -> str:
        return f"{self.issuer} {self.subject[:8]}… → depositor {self.depositor_id}"
