"""Valid identity numbers for tests, computed with the check characters of the standards."""

from yichuang.intake.identity import resident_id_check, uscc_check


def resident_id(region: str = "411624", birth: str = "19900307", seq: str = "123") -> str:
    first17 = f"{region}{birth}{seq}"
    return first17 + resident_id_check(first17)


def credit_code(body: str = "91411624MA") -> str:
    """A unified social credit code whose 17 leading characters start with `body` (padded with 0s)."""
    first17 = (body + "0" * 17)[:17]
    return first17 + uscc_check(first17)
