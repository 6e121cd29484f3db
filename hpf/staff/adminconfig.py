"""Django's administration behind the staff login (password + TOTP), for the system
administrator only (see ``hpf.staff.adminsite.StaffAdminSite``); named in INSTALLED_APPS in place
of ``django.contrib.admin``."""

from django.contrib.admin.apps import AdminConfig


class StaffAdminConfig(AdminConfig):
    default_site = "hpf.staff.adminsite.StaffAdminSite"
