"""The 13 districts and the ten "343" industry clusters of domain.md."""

DISTRICTS = [
    ("320302", "鼓楼区", "district"),
    ("320303", "云龙区", "district"),
    ("320305", "贾汪区", "district"),
    ("320311", "泉山区", "district"),
    ("320312", "铜山区", "district"),
    ("320321", "丰县", "county"),
    ("320322", "沛县", "county"),
    ("320324", "睢宁县", "county"),
    ("320381", "新沂市", "county_city"),
    ("320382", "邳州市", "county_city"),
    ("320371", "徐州经济技术开发区", "functional_zone"),
    (None, "徐州高新技术产业开发区", "functional_zone"),
    (None, "徐州淮海国际港务区", "functional_zone"),
]

CLUSTERS = [
    ("工程机械", "leading"),
    ("绿色低碳能源", "leading"),
    ("新材料", "leading"),
    ("数字经济", "emerging"),
    ("集成电路与ICT", "emerging"),
    ("医药健康", "emerging"),
    ("安全应急", "emerging"),
    ("精品钢材", "distinctive"),
    ("高端纺织", "distinctive"),
    ("食品及农副产品加工", "distinctive"),
]


def ensure_reference_data(District, Cluster) -> None:  # noqa: N803 (model classes)
    """Create or update the districts and clusters; takes the model classes so the data
    migration can pass its historical models."""
    for order, (code, name, kind) in enumerate(DISTRICTS, start=1):
        District.objects.update_or_create(name=name, defaults={
            "code": code, "kind": kind, "sort_order": order})
    for order, (name, group) in enumerate(CLUSTERS, start=1):
        Cluster.objects.update_or_create(name=name, defaults={
            "group": group, "sort_order": order})
