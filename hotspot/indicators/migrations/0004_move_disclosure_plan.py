"""The disclosure plan's model moved to ``areas`` (whose pages work it out), so that the measures layer
in ``indicators`` can sit above the data apps; the table stays where it is."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("indicators", "0003_disclosure_plan"),
        ("areas", "0003_disclosure_plan"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel("DisclosurePlan")], database_operations=[]
        )
    ]
