"""Running HPF in production: the scheduler, backups, metrics, health and readiness."""
