"""Loads the 13 districts and the ten "343" industry clusters of domain.md."""
from django.db import migrations

from institutions.reference_data import CLUSTERS, DISTRICTS, ensure_reference_data


def load(apps, schema_editor):
    ensure_reference_data(apps.get_model("institutions", "District"),
                          apps.get_model("institutions", "Cluster"))


def unload(apps, schema_editor):
    apps.get_model("institutions", "District").objects.filter(
        name__in=[name for _, name, _ in DISTRICTS]).delete()
    apps.get_model("institutions", "Cluster").objects.filter(
        name__in=[name for name, _ in CLUSTERS]).delete()


class Migration(migrations.Migration):
    dependencies = [("institutions", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
