"""Study results take the shape of every stored computation (hotspot.computations): the same field
names as index runs and import batches, values kept."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("evaluations", "0003_design_callaway_santanna")]

    operations = [
        migrations.RenameField("study", "created", "created_at"),
        migrations.RenameField("studyresult", "created", "created_at"),
        migrations.RenameField("studyresult", "finished", "finished_at"),
        migrations.RenameField("studyresult", "versions", "library_versions"),
    ]
