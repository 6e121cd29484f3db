from django.apps import AppConfig


class GovAppConfig(AppConfig):
    name = "hpf.channels.govapp"
    label = "govapp"
    verbose_name = "一部手机办事通"

    def ready(self) -> None:
        # Consented tokens end with the depositor's credentials and show on the security page.
        from hpf.channels.govapp import consent
        from hpf.identity.grants import credentials_reset, register_grant_source

        credentials_reset.connect(consent.end_all, dispatch_uid="hpf.govapp.end_all")
        register_grant_source(
            "oauth", list_live=consent.live_consents, revoke=consent.revoke_consent
        )
