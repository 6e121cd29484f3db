"""The audit trail is append-only, except that its linker (``hpf.audit.services``) fills in a
row's chain columns once, from ``seq`` NULL to a ``seq``, and nothing else."""

from hpf.common.dbguards import Guards

GUARDS = Guards(
    append_only=("audit_auditevent",),
    linked_once=(("audit_auditevent", ("seq", "prev_hash", "hash")),),
)
