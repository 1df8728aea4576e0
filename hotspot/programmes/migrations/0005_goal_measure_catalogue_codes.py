"""A goal's measure is a code of the measures catalogue where it is one (hotspot.indicators.measures):
the two report rates change spelling."""

from django.db import migrations, models

RENAMED = {"report_rate": "reports_total", "citizen_rate": "reports_citizen_directed"}


def _respell(apps, mapping):
    Goal = apps.get_model("programmes", "Goal")
    for old, new in mapping.items():
        Goal.objects.filter(measure=old).update(measure=new)


def forwards(apps, schema_editor):
    _respell(apps, RENAMED)


def backwards(apps, schema_editor):
    _respell(apps, {new: old for old, new in RENAMED.items()})


class Migration(migrations.Migration):
    dependencies = [("programmes", "0004_created_at")]

    operations = [
        migrations.AlterField(
            model_name="goal",
            name="measure",
            field=models.CharField(
                choices=[
                    ("indicator", "Indicator from the catalogue"),
                    ("reports_total", "Crime reports per 1,000 residents"),
                    ("reports_citizen_directed", "Citizen-directed reports per 1,000 residents"),
                    ("own", "Programme-specific count (values entered here)"),
                    ("tasks_done", "Tasks done in an action plan"),
                ],
                max_length=30,
                verbose_name="measured by",
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]
