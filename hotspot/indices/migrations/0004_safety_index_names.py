"""The glossary's names: the index definition is ``SafetyIndex`` and its version ``SafetyIndexVersion``."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("indices", "0003_computation_fields"),
        # after every migration that names the old models
        ("evaluations", "0005_computation_fields"),
    ]

    operations = [
        migrations.RenameModel("IndexDefinition", "SafetyIndex"),
        migrations.RenameModel("DefinitionVersion", "SafetyIndexVersion"),
    ]
