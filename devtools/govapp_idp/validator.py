"""The province's claims in the ID token: name, ID number and the assurance level."""

from __future__ import annotations

from typing import Any

from oauth2_provider.oauth2_validators import OAuth2Validator

from devtools.govapp_idp.people import person_of


class Validator(OAuth2Validator):  # type: ignore[misc]
    # Every claim below goes into the ID token whatever the scope (the province's contract).
    oidc_claim_scope = None

    def get_additional_claims(self, request: Any) -> dict[str, Any]:
        person = person_of(request.user.username)
        return {
            "name": person["name"],
            "id_number": person["id_number"],
            "acr": person.get("acr", "face"),
        }
