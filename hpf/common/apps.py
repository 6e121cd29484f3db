from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "hpf.common"
    label = "common"
    verbose_name = "HPF common"

    def ready(self) -> None:
        # Load the policy file at start so that a malformed file stops the program at once,
        # with the bad key named, rather than at the first deposit that needs a rate.
        from hpf.common.policy import get_policy

        get_policy()
