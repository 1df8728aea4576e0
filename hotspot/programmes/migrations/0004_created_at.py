from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("programmes", "0003_optimistic_locking")]

    operations = [
        migrations.RenameField("programme", "created", "created_at"),
        migrations.AlterField(
            "programme",
            "created_at",
            models.DateTimeField(auto_now_add=True, verbose_name="created"),
        ),
    ]
