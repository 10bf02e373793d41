"""Shared set-up of the tests of the review pages: the answers and evidence a submitted report
carries, and site visits with files.

The reports are locked once the preliminary review opens, so their answers and evidence are
written as rows here (stage 1's own tests go through its services).
"""
from __future__ import annotations

import datetime as dt

from django.core.files.base import ContentFile

from evaluations.enums import EvidenceType
from evaluations.models import (
    EvidenceFile,
    Indicator,
    IndicatorResponse,
    Participant,
    SiteVisit,
    SiteVisitFile,
)
from tests.evaluations.self_evaluation_setup import PDF, PNG, docx_bytes

CONTENT = {EvidenceType.PDF: PDF, EvidenceType.PNG: PNG}


def indicators_of(participant: Participant) -> list[Indicator]:
    return list(Indicator.objects.filter(category__cycle_id=participant.cycle_id)
                .prefetch_related("fields").order_by("category__order", "order"))


def give_answer(participant: Participant, indicator: Indicator, *, narrative: str = "",
                self_score=None, data: dict | None = None) -> IndicatorResponse:
    """The report's answer to ``indicator`` (every field filled for both years unless
    ``data`` is given)."""
    if data is None:
        data = {f.key: {"y1": f"{f.key}-2023", "y2": f"{f.key}-2024"}
                for f in indicator.fields.all()}
    response, _created = IndicatorResponse.objects.update_or_create(
        submission_id=participant.submission_id, indicator=indicator,
        defaults={"data": data, "narrative": narrative, "self_score": self_score,
                  "revision": 1})
    return response


def give_evidence(response: IndicatorResponse, actor, *, n: int = 1,
                  kind: str = EvidenceType.PDF, name: str = "证明材料") -> list[EvidenceFile]:
    """``n`` evidence files of ``kind`` on ``response``, sharing one stored file."""
    content = CONTENT.get(kind, docx_bytes())
    first = EvidenceFile(response=response, original_name=f"{name}0.{kind}", kind=kind,
                         size=len(content), sha256="0" * 64, uploaded_by=actor)
    first.file.save(f"{name}.{kind}", ContentFile(content), save=False)
    first.save()
    rest = EvidenceFile.objects.bulk_create([
        EvidenceFile(response=response, file=first.file.name, original_name=f"{name}{i}.{kind}",
                     kind=kind, size=len(content), sha256="0" * 64, uploaded_by=actor)
        for i in range(1, n)])
    return [first, *rest]


def give_visit(participant: Participant, actor, *, files: int = 1,
               kind: str = EvidenceType.PDF) -> SiteVisit:
    """A site visit of ``participant`` with ``files`` files of ``kind``."""
    visit = SiteVisit.objects.create(participant=participant, visited_on=dt.date(2025, 3, 1),
                                     visitors="张三、李四", findings="场地与申报一致。",
                                     recorded_by=actor)
    content = CONTENT.get(kind, docx_bytes())
    for i in range(files):
        row = SiteVisitFile(visit=visit, original_name=f"现场照片{i}.{kind}", kind=kind,
                            size=len(content), sha256="0" * 64, uploaded_by=actor)
        row.file.save(f"visit.{kind}", ContentFile(content), save=False)
        row.save()
    return visit
