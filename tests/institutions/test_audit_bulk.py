"""Rows written in bulk get one "created" entry each, under the actor of the enclosing
``acting_as`` block only: auditlog's own context outlives its block, and an entry made later
must not name a user of an earlier block (who may not exist any more)."""
from __future__ import annotations

from auditlog.models import LogEntry

from institutions.audit import acting_as, current_actor
from institutions.audit.registry import bulk_created_record
from tests.factories import InstitutionFactory


def test_bulk_entries_name_the_actor_of_their_block_and_no_one_after_it(city_admin, gulou):
    with acting_as(city_admin):
        first = bulk_created_record([InstitutionFactory(district=gulou)])
    assert current_actor() is None
    after = bulk_created_record([InstitutionFactory(district=gulou)])
    assert ([e.actor_id for e in first], [e.actor_id for e in after]) == ([city_admin.pk], [None])
    assert LogEntry.objects.filter(pk__in=[first[0].pk, after[0].pk],
                                   content_type__model="institution").count() == 2
