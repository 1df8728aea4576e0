"""The disclosure plan's model, moved here from ``indicators`` (its table, created by
indicators.0003, keeps its name): only the state changes."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("areas", "0002_area_batch_population_batch"),
        ("indicators", "0003_disclosure_plan"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="DisclosurePlan",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("year", models.PositiveSmallIntegerField(verbose_name="year")),
                        ("digest", models.CharField(max_length=64)),
                        ("cells", models.JSONField(default=list)),
                        ("computed_at", models.DateTimeField(auto_now=True)),
                        (
                            "municipality",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="accounts.municipality",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "indicators_disclosureplan",
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("municipality", "year"), name="disclosure_plan_unique"
                            )
                        ],
                    },
                )
            ],
            database_operations=[],
        )
    ]
