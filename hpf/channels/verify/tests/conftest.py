"""The certificates fixtures (clerk, issue, loans) for the verification channel's tests."""

from hpf.certificates.tests.conftest import actor, at_counter, clerk, issue  # noqa: F401 - fixtures
