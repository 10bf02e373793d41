"""Validation of the unified social credit code (GB 32100-2015, domain.md)."""
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum import exceptions as stdnum_exceptions
from stdnum.cn import uscc


def normalise_credit_code(value: str) -> str:
    """Upper-case and strip spaces and hyphens, the way codes are often typed or pasted."""
    return uscc.compact(value or "")


def validate_credit_code(value: str) -> None:
    """Reject a code of the wrong length or alphabet, or whose check character does not match."""
    try:
        uscc.validate(value)
    except stdnum_exceptions.InvalidChecksum as exc:
        raise ValidationError(
            _("The check character of credit code %(code)s does not match."),
            code="checksum", params={"code": value},
        ) from exc
    except stdnum_exceptions.ValidationError as exc:
        raise ValidationError(
            _("%(code)s is not a valid unified social credit code (18 characters, GB 32100)."),
            code="invalid", params={"code": value},
        ) from exc
