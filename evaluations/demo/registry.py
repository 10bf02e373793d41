"""The demo's registry: institutions of the real Xuzhou shape in the districts and "343"
clusters of the reference data, and an account for every role.

Through the services (``institution_create``, ``user_create``). Deterministic and idempotent:
running it twice changes nothing.
"""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.db import transaction
from stdnum.cn import uscc

from institutions.enums import Role
from institutions.models import Cluster, District, Institution, User
from institutions.services import institution_create, user_create

from .support import demo_shortcuts

DEMO_PASSWORD = "xz-demo-2026"
DEMO_INSTITUTION_COUNT = 150
# Region codes for the three functional zones that have none of their own (city level).
_CITY_REGION = "320300"
_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_PREFIXES = ("91", "12", "52")  # enterprise, public institution, private non-enterprise unit

_TOPICS = {
    "工程机械": ["高端工程机械", "智能装备", "液压传动", "矿山装备"],
    "绿色低碳能源": ["新能源", "氢能", "储能技术", "光伏"],
    "新材料": ["先进材料", "高分子材料", "碳基材料", "功能涂层"],
    "数字经济": ["工业互联网", "大数据", "人工智能", "数字孪生"],
    "集成电路与ICT": ["集成电路", "半导体封测", "传感器", "通信技术"],
    "医药健康": ["生物医药", "医疗器械", "中医药", "精准医学"],
    "安全应急": ["安全应急装备", "矿山安全", "应急救援", "智慧消防"],
    "精品钢材": ["精品钢材", "特种合金", "冶金工艺"],
    "高端纺织": ["功能纺织", "产业用纺织品", "纤维材料"],
    "食品及农副产品加工": ["食品科学", "农产品加工", "绿色食品"],
}
_FORMS = ["徐州{topic}产业技术研究院有限公司", "徐州{topic}创新研究院", "江苏{topic}研究院有限公司",
          "徐州市{topic}工程技术研究中心", "淮海{topic}技术研究院"]
_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
_GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "勇", "军", "杰", "涛", "明", "超", "霞", "平"]


def credit_code(prefix: str, region: str, serial: int) -> str:
    """A valid unified social credit code (GB 32100) from a serial number."""
    rng = random.Random(serial)
    body = "".join(rng.choice(_CODE_ALPHABET) for _ in range(9))
    partial = f"{prefix}{region}{body}"
    return partial + uscc.calc_check_digit(partial)


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    scope: str


_SHORT = {"徐州经济技术开发区": "徐州经开区", "徐州高新技术产业开发区": "徐州高新区",
          "徐州淮海国际港务区": "淮海港务区"}
_LOCAL_FORMS = ["{place}{topic}研究院", "{place}{topic}技术创新中心",
                "{place}{topic}产业研究院有限公司", "{place}{topic}协同创新中心"]


def _unique_name(cluster: str, district: str, serial: int, used: set[str]) -> str:
    """A plausible institution name not used yet: the city-wide forms first, then forms
    carrying the district's short name."""
    topics = _TOPICS[cluster]
    place = _SHORT.get(district, district.rstrip("区县市") if len(district) > 2 else district)
    candidates = [form.format(topic=topics[(serial + i) % len(topics)])
                  for i in range(len(topics)) for form in _FORMS[serial % 2::2]]
    candidates += [form.format(place=place, topic=topic)
                   for form in _LOCAL_FORMS for topic in topics]
    for name in candidates:
        if name not in used:
            return name
    return f"{candidates[0]}（{serial}）"


def _person(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2))))


@transaction.atomic
def seed_registry(count: int = DEMO_INSTITUTION_COUNT) -> int:
    """Create the demo institutions that do not exist yet; return how many were created."""
    rng = random.Random(20261124)
    districts = list(District.objects.all())
    clusters = list(Cluster.objects.all())
    existing = set(Institution.objects.values_list("credit_code", flat=True))
    created = 0
    used_names: set[str] = set(Institution.objects.values_list("name", flat=True))
    for serial in range(1, count + 1):
        district = districts[(serial * 7) % len(districts)]
        cluster = clusters[(serial * 3) % len(clusters)]
        code = credit_code(_PREFIXES[serial % 3], district.code or _CITY_REGION, serial)
        year = 2015 + serial % 10
        filing_date = dt.date(year, 1 + serial % 12, 1 + serial % 28)
        name = _unique_name(cluster.name, district.name, serial, used_names)
        used_names.add(name)
        person = _person(rng)
        if code in existing:
            continue
        institution_create(
            actor=None, name=name, credit_code=code, district=district, cluster=cluster,
            filing_date=filing_date, legal_representative=_person(rng), contact_person=person,
            contact_phone=f"0516-8{serial:07d}"[:13], contact_email=f"contact{serial}@example.cn",
            address=f"{district.name}科技路{serial}号",
        )
        created += 1
    return created


def demo_accounts() -> list[tuple[str, str, dict]]:
    """(username, role, scope fields) of the demo accounts."""
    gulou = District.objects.get(name="鼓楼区")
    yunlong = District.objects.get(name="云龙区")
    gulou_institution = Institution.objects.filter(district=gulou).order_by("credit_code").first()
    yunlong_institution = Institution.objects.filter(district=yunlong).order_by(
        "credit_code").first()
    # In the 2025 cohort (filed in an odd year up to 2023, R1): the demo's preliminary review
    # sends this institution a rectification notice (evaluations.demo.preliminary).
    gulou_2025_institution = next(
        (i for i in Institution.objects.filter(district=gulou).order_by("credit_code")
         if i.filing_date.year % 2 == 1 and i.filing_date.year <= 2023), None)
    return [
        ("city_admin", Role.CITY_ADMIN, {"full_name": "市科技局 科研条件处"}),
        ("organiser", Role.PANEL_ORGANISER, {"full_name": "市科技情报研究所"}),
        ("expert", Role.EXPERT, {"full_name": "评审专家 陈教授"}),
        ("district_gulou", Role.DISTRICT_REVIEWER, {"district": gulou,
                                                     "full_name": "鼓楼区科技局 审核员"}),
        ("district_yunlong", Role.DISTRICT_REVIEWER, {"district": yunlong,
                                                       "full_name": "云龙区科技局 审核员"}),
        ("inst_filer", Role.INSTITUTION_FILER, {"institution": gulou_institution,
                                                "full_name": "填报人"}),
        ("inst_admin", Role.INSTITUTION_ADMIN, {"institution": gulou_institution,
                                                "full_name": "单位管理员"}),
        ("inst_filer_yunlong", Role.INSTITUTION_FILER, {"institution": yunlong_institution,
                                                        "full_name": "填报人（云龙区）"}),
        ("inst_filer_2025", Role.INSTITUTION_FILER, {"institution": gulou_2025_institution,
                                                     "full_name": "填报人（2025年度参评）"}),
    ]


@transaction.atomic
def seed_accounts() -> list[DemoLogin]:
    """Create the demo accounts that do not exist yet (passwords are not reset)."""
    logins = []
    with demo_shortcuts():
        for username, role, scope in demo_accounts():
            if not User.objects.filter(username=username).exists():
                user_create(username=username, password=DEMO_PASSWORD, role=role,
                            email=f"{username}@example.cn", **scope)
            logins.append(DemoLogin(username, role, _scope_label(scope)))
    return logins


def demo_logins() -> list[DemoLogin]:
    """The demo accounts that exist, in the order of ``demo_accounts``."""
    return [DemoLogin(u, r, _scope_label(s)) for u, r, s in demo_accounts()
            if User.objects.filter(username=u).exists()]


def _scope_label(scope: dict) -> str:
    if scope.get("district"):
        return scope["district"].name
    if scope.get("institution"):
        return scope["institution"].name
    return ""
