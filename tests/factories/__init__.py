"""factory_boy factories of the registry, the accounts and the expert pool."""
from __future__ import annotations

import datetime as dt

import factory
from stdnum.cn import uscc

from evaluations.models import Cycle, PolicyVersion
from institutions.enums import Gender, Role, TitleLevel
from institutions.models import Cluster, District, Expert, Institution, User

_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def make_credit_code(n: int, prefix: str = "91", region: str = "320302") -> str:
    """A valid credit code for serial ``n`` (distinct serials give distinct codes)."""
    body = ""
    for _ in range(9):
        n, digit = divmod(n, len(_ALPHABET))
        body = _ALPHABET[digit] + body
    partial = f"{prefix}{region}{body}"
    return partial + uscc.calc_check_digit(partial)


class InstitutionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Institution

    name = factory.Sequence(lambda n: f"测试新型研发机构{n:05d}")
    credit_code = factory.Sequence(lambda n: make_credit_code(n + 1000))
    district = factory.LazyFunction(lambda: District.objects.get(name="鼓楼区"))
    cluster = factory.LazyFunction(lambda: Cluster.objects.order_by("sort_order").first())
    filing_date = dt.date(2021, 5, 10)
    legal_representative = "张三"
    contact_person = "李四"
    contact_phone = "0516-83000000"
    contact_email = factory.Sequence(lambda n: f"inst{n}@example.cn")
    address = "徐州市鼓楼区科技路1号"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.cn")
    role = Role.CITY_ADMIN
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-9")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


class PolicyVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PolicyVersion

    name = factory.Sequence(lambda n: f"测试版本{n}")
    effective_date = factory.Sequence(lambda n: dt.date(2030, 1, 1) + dt.timedelta(days=n))


class CycleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cycle

    year = factory.Sequence(lambda n: 2025 + 2 * n)
    policy_version = factory.SubFactory(PolicyVersionFactory)


class ExpertFactory(factory.django.DjangoModelFactory):
    """An active expert of the pool with a senior title, judging the first cluster (pass
    ``clusters=[…]`` for others)."""

    class Meta:
        model = Expert
        skip_postgeneration_save = True

    pool_number = factory.Sequence(lambda n: f"E{n + 1:04d}")
    name = factory.Sequence(lambda n: f"专家{n:04d}")
    gender = Gender.MALE
    employer_name = "中国矿业大学"
    employer_credit_code = factory.Sequence(lambda n: make_credit_code(n + 500_000, "12"))
    title = "教授"
    title_level = TitleLevel.FULL_SENIOR
    phone = "13800000000"
    email = factory.Sequence(lambda n: f"expert{n}@example.cn")

    @factory.post_generation
    def clusters(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.clusters.set(extracted if extracted is not None
                             else [Cluster.objects.order_by("sort_order").first()])
