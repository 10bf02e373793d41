"""The unified social credit code (GB 32100-2015, domain.md)."""
import pytest
from django.core.exceptions import ValidationError

from institutions.validators import normalise_credit_code, validate_credit_code
from tests.conftest import BAD_CHECK_CODE, VALID_CODE, VALID_CODE_2, VALID_CODE_3


@pytest.mark.parametrize("typed, stored", [
    (" 9132 0302-ma1n0a2b3n ", VALID_CODE),
    ("12320300-466012345-e", VALID_CODE_2),
    (VALID_CODE_3, VALID_CODE_3),
    ("", ""),
    (None, ""),
])
def test_normalise_credit_code_strips_separators_and_upper_cases(typed, stored):
    assert normalise_credit_code(typed) == stored


@pytest.mark.parametrize("code", [VALID_CODE, VALID_CODE_2, VALID_CODE_3, "91110000600037341L"])
def test_validate_credit_code_accepts_valid_codes(code):
    assert validate_credit_code(code) is None


def test_validate_credit_code_rejects_wrong_check_character():
    with pytest.raises(ValidationError) as exc:
        validate_credit_code(BAD_CHECK_CODE)
    assert exc.value.code == "checksum"


@pytest.mark.parametrize("code", [
    "91320302MA1N0A2B3",     # 17 characters
    "91320302MA1N0A2B3NN",   # 19 characters
    "91320302MA1N0A2BIN",    # I is not in the alphabet
    "91320302MA1N0A2BON",    # nor is O
    "",
])
def test_validate_credit_code_rejects_malformed_codes(code):
    with pytest.raises(ValidationError) as exc:
        validate_credit_code(code)
    assert exc.value.code == "invalid"
