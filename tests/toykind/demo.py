"""The toy kind's `seed_demo`: notes the entity it seeded."""

SEEDED: list[str] = []


def seed_demo(*, entity, sandbox_host: str, app_url: str = "", stdout=None) -> None:
    SEEDED.append(entity.slug)
