"""Index and sensitivity runs store the method version (``safetystats.__version__``) and the library
versions like every stored computation (hotspot.computations); the old one-string library version is
kept as the library's entry."""

from django.db import migrations, models


def keep_old_version(apps, schema_editor):
    for name in ("IndexRun", "SensitivityRun"):
        model = apps.get_model("indices", name)
        for run in model.objects.exclude(library_version="").only("pk", "library_version"):
            model.objects.filter(pk=run.pk).update(
                library_versions={"safetystats": run.library_version}
            )


class Migration(migrations.Migration):
    dependencies = [("indices", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name=name,
            name="library_versions",
            field=models.JSONField(blank=True, default=dict, verbose_name="library versions"),
        )
        for name in ("indexrun", "sensitivityrun")
    ] + [
        migrations.RunPython(keep_old_version, migrations.RunPython.noop),
        migrations.RemoveField("indexrun", "library_version"),
        migrations.RemoveField("sensitivityrun", "library_version"),
    ]
