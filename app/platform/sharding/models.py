from django.db import models


class Placement(models.Model):
    """Which shard holds a team's rows: the directory, on the control database.

    Keyed by the team's id rather than a foreign key so that the platform depends on no product
    app; ``moving`` is set while ``move_team`` copies the team (for operators to see: what pauses
    the team's writes is the source shard's ``Fence``)."""

    team_id = models.BigIntegerField(primary_key=True)
    shard = models.CharField(max_length=63)
    moving = models.BooleanField(default=False)
    placed_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["shard"], name="sharding_placement_shard")]

    def __str__(self) -> str:
        return f"team {self.team_id} on {self.shard}"


class Fence(models.Model):
    """On a shard: a team whose writes this shard refuses, because the team is moving away
    (``moving``) or has moved (``gone``; a process may still hold the old directory entry).

    Kept on the shard itself, so the check at the start of each team write transaction is one
    more statement on the database the transaction already uses: a shard's writes never wait on
    the control database."""

    MOVING, GONE = "moving", "gone"

    team_id = models.BigIntegerField(primary_key=True)
    state = models.CharField(max_length=8, choices=[(MOVING, MOVING), (GONE, GONE)])
    since = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"team {self.team_id}: {self.state}"
