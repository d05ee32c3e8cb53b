from django.db import models


class RateCounter(models.Model):
    """Hits per key in a fixed time window; shared by every web process through PostgreSQL."""

    key = models.CharField(max_length=120)
    window_start = models.BigIntegerField()  # epoch seconds, a multiple of the window length
    hits = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "window_start"], name="rate_window_once")
        ]

    def __str__(self) -> str:
        return f"{self.key}@{self.window_start}: {self.hits}"
