from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [
        migrations.RenameField("membership", "created", "created_at"),
        migrations.AlterField(
            "membership",
            "created_at",
            models.DateTimeField(auto_now_add=True, verbose_name="created"),
        ),
    ]
