"""Run the stand-in 一部手机办事通 identity provider.

    python -m devtools.govapp_idp.serve --port 8100 --people people.json \
        --client-id hpf-demo --client-secret SECRET --redirect-uri http://127.0.0.1:8000/portal/govapp/callback/

It makes a fresh database in a temporary folder, registers our portal as a confidential
client (PKCE required, consent skipped as the province does for its own departments) and
serves until stopped. It prints ``ready <issuer>`` once it listens.
"""

from __future__ import annotations

import argparse
import os


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--people", required=True)
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--client-secret", required=True)
    parser.add_argument("--redirect-uri", required=True, action="append")
    args = parser.parse_args(argv)
    os.environ["GOVAPP_IDP_PORT"] = str(args.port)
    os.environ["GOVAPP_IDP_PEOPLE"] = args.people
    os.environ["DJANGO_SETTINGS_MODULE"] = "devtools.govapp_idp.settings"

    import django

    django.setup()
    from django.core.management import call_command
    from django.core.servers.basehttp import run
    from django.core.wsgi import get_wsgi_application
    from oauth2_provider.models import Application

    call_command("migrate", verbosity=0)
    Application.objects.create(
        name="昆明住房公积金",
        client_id=args.client_id,
        client_secret=args.client_secret,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=" ".join(args.redirect_uri),
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=True,
    )

    def ready(port: int) -> None:
        print(f"ready http://127.0.0.1:{port}", flush=True)

    run("127.0.0.1", args.port, get_wsgi_application(), threading=True, on_bind=ready)


if __name__ == "__main__":
    main()
