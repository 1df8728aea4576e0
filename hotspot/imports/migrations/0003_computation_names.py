"""Import batches take the shape of every stored computation (hotspot.computations): the file's hash
is ``inputs_hash``, its options ``parameters``, its problem ``error``, and counts are ``rows_*``."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("imports", "0002_heartbeat_rolling_back_writelock")]

    operations = [
        migrations.RenameField("importbatch", "sha256", "inputs_hash"),
        migrations.RenameField("importbatch", "options", "parameters"),
        migrations.RenameField("importbatch", "message", "error"),
        migrations.RenameField("importbatch", "created", "rows_created"),
        migrations.RenameField("importbatch", "updated", "rows_updated"),
        migrations.RenameField("importbatch", "unchanged", "rows_unchanged"),
        migrations.RenameField("importbatch", "removed", "rows_removed"),
    ]
