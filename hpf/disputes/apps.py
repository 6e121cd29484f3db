from django.apps import AppConfig


class DisputesConfig(AppConfig):
    name = "hpf.disputes"
    label = "disputes"
    verbose_name = "核查更正"

    def ready(self) -> None:
        # Approving a four-eyes proposal of kind CORRECTION runs the dispute's correction.
        from hpf.approvals.models import ProposalKind
        from hpf.approvals.services import register_executor
        from hpf.disputes.services import correction_execute, correction_rejected

        register_executor(ProposalKind.CORRECTION, correction_execute, correction_rejected)
