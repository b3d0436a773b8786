"""Who applies: a person or an organisation, identified by certificate type and number, never by
name alone (two people called 张伟 are two applicants). Numbers are checked where the standard
gives a check digit: the resident ID card (GB 11643-1999) and the unified social credit code
(GB 32100-2015).
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.errors import InvalidAction

ID_CARD = "身份证"
CREDIT_CODE = "统一社会信用代码"
CERTIFICATE_TYPES = (ID_CARD, CREDIT_CODE, "护照", "港澳居民来往内地通行证", "台湾居民来往大陆通行证",
                     "外国人永久居留身份证", "其他有效证件")

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def id_card_check(first17: str) -> str:
    return _ID_CHECK[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def credit_code_check(first17: str) -> str:
    total = sum(_CREDIT_ALPHABET.index(c) * w
                for c, w in zip(first17, _CREDIT_WEIGHTS, strict=True))
    return _CREDIT_ALPHABET[(31 - total % 31) % 31]


def check_certificate(kind: str, number: str) -> tuple[str, str]:
    """The certificate type and number as stored (upper case, no spaces), or a specific error."""
    kind = kind.strip()
    value = number.strip().replace(" ", "").upper()
    if kind not in CERTIFICATE_TYPES:
        raise InvalidAction(f"证件类型“{kind}”不在可选范围内 (unknown certificate type); 可选: "
                            f"{'、'.join(CERTIFICATE_TYPES)}", field="id_type")
    if not value:
        raise InvalidAction("证件号码不能为空 (the certificate number is empty)", field="id_number")
    if kind == ID_CARD:
        if len(value) != 18 or not value[:17].isdigit() or value[17] not in "0123456789X":
            raise InvalidAction(f"身份证号码“{value}”应为 18 位：17 位数字加 1 位校验码（数字或 X） "
                                f"(an ID card number has 18 characters)", field="id_number")
        if id_card_check(value[:17]) != value[17]:
            raise InvalidAction(f"身份证号码“{value}”校验码不符，请核对证件 (check digit does not "
                                f"match: a digit was mistyped)", field="id_number")
    elif kind == CREDIT_CODE:
        if len(value) != 18 or any(c not in _CREDIT_ALPHABET for c in value):
            raise InvalidAction(f"统一社会信用代码“{value}”应为 18 位数字或大写字母（不含 I、O、S、V、Z） "
                                f"(a unified social credit code has 18 characters)",
                                field="id_number")
        if credit_code_check(value[:17]) != value[17]:
            raise InvalidAction(f"统一社会信用代码“{value}”校验码不符，请核对营业执照 (check digit "
                                f"does not match)", field="id_number")
    elif len(value) > 40 or not all(c.isalnum() or c in "-()（）" for c in value):
        raise InvalidAction(f"证件号码“{value}”含有不允许的字符或过长 (invalid certificate number)",
                            field="id_number")
    return kind, value


@dataclass(frozen=True)
class Applicant:
    """An applicant as the window registers them."""

    name: str
    id_type: str
    id_number: str
    phone: str = ""
    email: str = ""
    address: str = ""

    def checked(self) -> Applicant:
        name = self.name.strip()
        if not name:
            raise InvalidAction("申请人姓名或名称不能为空 (the applicant's name is empty)",
                                field="applicant")
        if len(name) > 200:
            raise InvalidAction("申请人姓名或名称过长（最多 200 字） (name too long)", field="applicant")
        kind, number = check_certificate(self.id_type, self.id_number)
        phone = self.phone.strip()
        if phone and not all(c.isdigit() or c in "-+ ()" for c in phone):
            raise InvalidAction(f"联系电话“{phone}”只能含数字和 - + ( ) (invalid phone)",
                                field="phone")
        email = self.email.strip()
        if email and ("@" not in email or " " in email or len(email) > 200):
            raise InvalidAction(f"电子邮箱“{email}”格式不正确 (invalid e-mail address)",
                                field="email")
        return Applicant(name, kind, number, phone, email, self.address.strip())

    @property
    def key(self) -> str:
        """How records about the applicant (失信 flags) find them: certificate, not name."""
        return applicant_key(self.id_type, self.id_number)

    def contact(self) -> dict[str, str]:
        return {k: v for k, v in (("phone", self.phone), ("email", self.email),
                                  ("address", self.address)) if v}


def applicant_key(id_type: str, id_number: str) -> str:
    return f"{id_type}:{id_number}"


def mask_number(number: str) -> str:
    """110101********123X: enough for the applicant to recognise, not to reuse."""
    if len(number) <= 8:
        return number[:2] + "*" * max(len(number) - 2, 0)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]
