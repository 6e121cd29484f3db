from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    name = "hpf.certificates"
    label = "certificates"
    verbose_name = "HPF certificates"
