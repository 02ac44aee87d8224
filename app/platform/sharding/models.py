from django.db import models


class Placement(models.Model):
    """Which shard holds a team's rows: the directory, on the control database.

    Keyed by the team's id rather than a foreign key so that the platform depends on no product
    app; ``moving`` is set while ``move_team`` copies the team, and pauses its writes."""

    team_id = models.BigIntegerField(primary_key=True)
    shard = models.CharField(max_length=63)
    moving = models.BooleanField(default=False)
    placed_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["shard"], name="sharding_placement_shard")]

    def __str__(self) -> str:
        return f"team {self.team_id} on {self.shard}"
