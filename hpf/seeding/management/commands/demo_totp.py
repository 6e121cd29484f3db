"""hpf demo-totp USER: the current TOTP code of a demo staff member (DEBUG only), for trying
the staff login without an authenticator app."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = "Print the current TOTP code of a demo staff member (DEBUG only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("demo-totp prints one-time codes and runs only with DEBUG=1")
        device = TOTPDevice.objects.filter(
            user__username=options["username"], confirmed=True
        ).first()
        if device is None:
            raise CommandError(f"no enrolled TOTP device for {options['username']!r}")
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        left = device.step - int(totp.time) % device.step
        self.stdout.write(f"{totp.token():0{device.digits}d}  (valid for {left} s, once)")
