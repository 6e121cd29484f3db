from django.apps import AppConfig


class AppointmentsConfig(AppConfig):
    name = "hpf.appointments"
    label = "appointments"
    verbose_name = "预约服务"
