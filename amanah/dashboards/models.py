from django.db import models


class WidgetFigure(models.Model):
    """One pre-computed aggregate of one dashboard widget for one branch (a count per
    ``series`` and ``bucket``, the widget's own codes).

    Written only by the refresh job (``dashboards.refresh``), which replaces a batch of
    branches' figures in one transaction; pages read these rows and never the base tables.
    Counts only: no row here names a person.
    """

    widget = models.CharField(max_length=80)
    branch = models.ForeignKey("iam.Branch", on_delete=models.CASCADE, related_name="+")
    series = models.CharField(max_length=40)
    bucket = models.CharField(max_length=20, blank=True)
    value = models.PositiveIntegerField()
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            # Also the index a page reads by: one widget, the branches in scope.
            models.UniqueConstraint(
                fields=["widget", "branch", "series", "bucket"], name="widget_figure_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.widget} {self.series} {self.bucket}"
