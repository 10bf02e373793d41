"""The policy's own parameters (rules.md R13) as the first policy version."""
import datetime as dt

from django.db import migrations


def load(apps, schema_editor):
    PolicyVersion = apps.get_model("evaluations", "PolicyVersion")
    PolicyVersion.objects.get_or_create(
        effective_date=dt.date(2020, 1, 1),
        defaults={
            "name": "《徐州市新型研发机构绩效评价管理办法（试行）》默认参数",
            "notes": "办法第七条、第十条至第十五条规定的比例与限额。",
        },
    )


def unload(apps, schema_editor):
    apps.get_model("evaluations", "PolicyVersion").objects.filter(
        effective_date=dt.date(2020, 1, 1), cycles__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("evaluations", "0002_initial")]
    operations = [migrations.RunPython(load, unload)]
