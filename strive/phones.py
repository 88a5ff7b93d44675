"""Phone numbers in any common US or international format, normalized to one E.164 value."""

from functools import lru_cache

import phonenumbers

DEFAULT_REGION = "US"  # A number without a country code is read as a US number.


@lru_cache(maxsize=10_000)  # Parsing costs ~0.2 ms; incremental polls see the same numbers again. Bounded.
def phone_to_e164(raw: str | None, *, region: str = DEFAULT_REGION) -> str | None:
    """'(202) 555-0101', '202.555.0101', '+1 202 555 0101', '1-202-555-0101' -> '+12025550101'; None if not a number."""
    text = (raw or "").strip()
    if not text:
        return None
    digits = "".join(ch for ch in text if ch.isdigit())
    if not text.startswith("+") and text.startswith("00"):
        text = "+" + text[2:]  # International prefix as dialled from Europe.
    elif not text.startswith("+") and len(digits) == 11 and digits.startswith("1"):
        text = "+" + digits  # US number written with its country code but no plus.
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number) or not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_pick(phones: list[dict], order: list[str]) -> str | None:
    """The first valid number among `phones` ({type, phone}) in the preferred type order, as E.164."""
    for kind in order:
        for phone in phones:
            if (phone.get("type") or "").lower() == kind:
                e164 = phone_to_e164(phone.get("phone") or phone.get("normalized_phone"))
                if e164:
                    return e164
    return None
