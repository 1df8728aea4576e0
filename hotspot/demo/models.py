from django.db import models


class DemoCity(models.Model):
    """Records that a municipality holds the synthetic demo city, how it was generated and its truth."""

    municipality = models.OneToOneField(
        "accounts.Municipality", on_delete=models.CASCADE, related_name="demo"
    )
    seed = models.IntegerField()
    scale = models.FloatField()
    built_at = models.DateTimeField(auto_now_add=True)
    seconds = models.FloatField(default=0)
    # The hidden truth (hotspots, controls, injected effects) so studies can be checked against it.
    truth = models.JSONField(default=dict, blank=True)
    sizes = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"{self.municipality} (seed {self.seed}, scale {self.scale})"
