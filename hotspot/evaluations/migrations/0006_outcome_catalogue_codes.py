"""A study's outcome is a code of the measures catalogue (hotspot.indicators.measures): three outcomes
change spelling, in the studies and in the figures their results stored."""

from django.db import migrations, models

RENAMED = {
    "reports": "reports_total",
    "reports_citizen": "reports_citizen_directed",
    "youth_charges": "youth_charged",
}


def _respell(apps, mapping):
    Study = apps.get_model("evaluations", "Study")
    StudyResult = apps.get_model("evaluations", "StudyResult")
    for old, new in mapping.items():
        Study.objects.filter(outcome=old).update(outcome=new)
    for result in StudyResult.objects.all().only("pk", "figures"):
        figures = result.figures
        if isinstance(figures, dict) and figures.get("outcome") in mapping:
            figures["outcome"] = mapping[figures["outcome"]]
            StudyResult.objects.filter(pk=result.pk).update(figures=figures)


def forwards(apps, schema_editor):
    _respell(apps, RENAMED)


def backwards(apps, schema_editor):
    _respell(apps, {new: old for old, new in RENAMED.items()})


class Migration(migrations.Migration):
    dependencies = [("evaluations", "0005_computation_fields")]

    operations = [
        migrations.AlterField(
            model_name="study",
            name="outcome",
            field=models.CharField(
                choices=[
                    ("reports_total", "Crime reports per 1,000 residents (all offences)"),
                    (
                        "reports_citizen_directed",
                        "Citizen-directed crime reports per 1,000 residents",
                    ),
                    ("reports_serious", "Serious crime reports per 1,000 residents"),
                    ("youth_charged", "Charged youths (10–17) per 1,000 residents aged 10–17"),
                    ("survey_unsafe", "Share who feel unsafe (survey, %)"),
                    ("safety_index", "Safety index score (a chosen index definition version)"),
                ],
                default="reports_citizen_directed",
                max_length=30,
                verbose_name="outcome",
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]
