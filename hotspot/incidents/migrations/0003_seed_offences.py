from django.db import migrations


def seed(apps, schema_editor):
    from hotspot.incidents.actions import seed_offences

    seed_offences(apps.get_model("incidents", "Offence"))


class Migration(migrations.Migration):
    dependencies = [("incidents", "0002_charge_batch_crimereport_batch_offence_level_and_more")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
