"""The default indicator system (Art 6; rules.md "Indicator system"): the eight categories
with the sub-indicators the article lists, weighted 15/20/10/20/15/10/5/5 out of 100.

It is data, copied into each new cycle, where the city bureau may edit it until
self-evaluation opens. Each field is asked for both evaluated years (Y−2 and Y−1).
"""
from __future__ import annotations

from decimal import Decimal

# (key, label, kind, required)
F = tuple[str, str, str, bool]
# (code, name, points, help text, evidence required, fields)
I = tuple[str, str, int, str, bool, tuple[F, ...]]  # noqa: E741

TEMPLATE: tuple[tuple[str, str, tuple[I, ...]], ...] = (
    ("1", "团队建设", (
        ("1.1", "人才团队人数及持股比例", 3,
         "研发人员总数及人才团队持有机构股份的比例。",
         True, (("team_size", "人才团队人数（人）", "count", True),
                ("team_share", "团队持股比例（%）", "percent", True))),
        ("1.2", "高级职称、学历及专职人员情况", 3,
         "具有高级职称、博士硕士学位的人员数及专职研发人员数。",
         True, (("senior_titles", "高级职称人数（人）", "count", True),
                ("doctors", "博士学位人数（人）", "count", True),
                ("full_time", "专职研发人员数（人）", "count", True))),
        ("1.3", "持股科技人才层次", 3,
         "持股科技人才入选国家、省、市人才计划情况。",
         True, (("talent_programmes", "入选各级人才计划人数（人）", "count", True),)),
        ("1.4", "人员新增和团队持股变化情况", 3,
         "评价期内新增人员及团队持股比例变化。",
         False, (("new_staff", "新增人员数（人）", "count", True),
                 ("share_change", "团队持股比例变化（百分点）", "percent", False))),
        ("1.5", "聘用职业经理人情况", 3,
         "是否聘用职业经理人及其履职情况。",
         False, (("managers", "聘用职业经理人数（人）", "count", True),)),
    )),
    ("2", "研发支出", (
        ("2.1", "引进专职高层次人才费用", 5,
         "引进专职高层次人才发生的费用支出。",
         True, (("talent_cost", "引进高层次人才费用（万元）", "amount", True),)),
        ("2.2", "前瞻性技术项目支出", 5,
         "自主或委托其他机构开展所属领域前瞻性技术项目的支出。",
         True, (("frontier_cost", "前瞻性技术项目支出（万元）", "amount", True),)),
        ("2.3", "基础研究成果二次开发支出", 5,
         "利用已形成的基础研究成果或对外购买重大原创性基础研究成果进行二次开发的支出。",
         True, (("redevelopment_cost", "二次开发支出（万元）", "amount", True),)),
        ("2.4", "产业技术研发能力建设支出", 5,
         "产业技术研发能力建设所需费用的支出。",
         True, (("capacity_cost", "研发能力建设支出（万元）", "amount", True),
                ("rd_total", "研发经费支出合计（万元）", "amount", True))),
    )),
    ("3", "运营支撑", (
        ("3.1", "办公、实验场地及设备情况", 4,
         "原有和新增的办公、实验场地面积及仪器设备原值。",
         True, (("floor_area", "办公及实验场地面积（平方米）", "count", True),
                ("equipment_value", "仪器设备原值（万元）", "amount", True))),
        ("3.2", "所在地政府投入情况", 3,
         "所在地政府对机构的资金、场地等投入。",
         True, (("government_funding", "政府投入资金（万元）", "amount", True),)),
        ("3.3", "获得投融资情况", 3,
         "评价期内获得的股权投资、债权融资等。",
         False, (("investment", "获得投融资金额（万元）", "amount", True),)),
    )),
    ("4", "科技服务", (
        ("4.1", "主营业务收入、利润、税收情况", 5,
         "机构主营业务收入、利润总额和纳税总额。",
         True, (("revenue", "主营业务收入（万元）", "amount", True),
                ("profit", "利润总额（万元）", "amount", True),
                ("tax", "纳税总额（万元）", "amount", True))),
        ("4.2", "科技服务收入占营业收入比重", 5,
         "技术开发、技术转让、技术咨询、技术服务等收入占营业收入的比重。",
         True, (("service_income", "科技服务收入（万元）", "amount", True),
                ("service_share", "占营业收入比重（%）", "percent", True))),
        ("4.3", "服务企业技术创新、转型升级情况", 5,
         "服务企业数量及服务带来的企业收入等。",
         True, (("enterprises_served", "服务企业数（家）", "count", True),
                ("served_income", "服务企业新增收入（万元）", "amount", False))),
        ("4.4", "纳入统计情况", 5,
         "纳入规模以上科学研究和技术服务业统计、省新型研发机构统计的情况。",
         False, (("statistics", "纳入统计情况说明", "text", True),)),
    )),
    ("5", "科研产出", (
        ("5.1", "承担各类科技计划项目情况", 5,
         "承担国家、省、市各类科技计划项目的数量及经费。",
         True, (("projects", "承担科技计划项目数（项）", "count", True),
                ("project_funding", "项目经费（万元）", "amount", True))),
        ("5.2", "知识产权申请及授权情况", 6,
         "发明专利等知识产权的申请量和授权量。",
         True, (("ip_filed", "知识产权申请数（件）", "count", True),
                ("ip_granted", "知识产权授权数（件）", "count", True),
                ("invention_patents", "其中发明专利授权数（件）", "count", True))),
        ("5.3", "标准制定情况", 4,
         "主持或参与制定国际、国家、行业、地方及团体标准情况。",
         False, (("standards", "制定标准数（项）", "count", True),)),
    )),
    ("6", "成长衍生", (
        ("6.1", "申报高新技术企业、科技型中小企业情况", 5,
         "机构自身申报高企、科小的情况。",
         True, (("hightech", "申报高新技术企业（家）", "count", True),
                ("tech_sme", "入库科技型中小企业（家）", "count", True))),
        ("6.2", "衍生、孵化企业情况", 5,
         "衍生、孵化企业数量及其申报高企、科小情况。",
         True, (("spinoffs", "衍生孵化企业数（家）", "count", True),
                ("spinoff_hightech", "其中申报高企、科小（家）", "count", True))),
    )),
    ("7", "机制创新", (
        ("7.1", "体制机制创新及日常管理运行情况", 3,
         "开展体制机制创新、日常管理运行、文化环境完善等情况。",
         False, (("mechanisms", "主要做法及成效", "text", True),)),
        ("7.2", "区域、领域联动交流情况", 2,
         "开展区域、领域联动交流的情况。",
         False, (("exchanges", "联动交流活动数（次）", "count", True),)),
    )),
    ("8", "其他", (
        ("8.1", "挂牌、表彰、新闻宣传等情况", 5,
         "其他突显运行实效的挂牌、表彰、新闻宣传等情况。",
         False, (("honours", "挂牌、表彰及宣传情况", "text", False),)),
    )),
)

DEFAULT_CATEGORY_POINTS = {"1": 15, "2": 20, "3": 10, "4": 20, "5": 15, "6": 10, "7": 5, "8": 5}


def template_total() -> Decimal:
    return sum((Decimal(points) for _, _, indicators in TEMPLATE
                for _, _, points, *_ in indicators), Decimal(0))
