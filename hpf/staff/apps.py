from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "hpf.staff"
    label = "staff"
    verbose_name = "工作人员与服务大厅"
