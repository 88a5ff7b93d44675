"""URL names of this app's entity pages, with the extra kwargs each needs (a factory taking the cast)."""

URLS = {
    "integrations:hub": lambda cast: {},
    "integrations:team": lambda cast: {},
    "integrations:team-update": lambda cast: {"membership_id": cast.entity_a.memberships.first().pk},
    "integrations:team-remove": lambda cast: {"membership_id": cast.entity_a.memberships.first().pk},
    "integrations:invitation-action": lambda cast: {"invitation_id": 1, "action": "revoke"},
    "integrations:team-security": lambda cast: {},
    "integrations:membership": lambda cast: {},
    "integrations:activity": lambda cast: {},
    "integrations:api-keys": lambda cast: {},
    "integrations:api-key-action": lambda cast: {"credential_id": 1, "action": "revoke"},
    "integrations:import-job": lambda cast: {"job_id": 1},
    "integrations:import-job-progress": lambda cast: {"job_id": 1},
    "integrations:import-job-errors": lambda cast: {"job_id": 1},
    "integrations:import-job-cancel": lambda cast: {"job_id": 1},
}
