"""The outbox's index: the relay and sweeper look only at unfinished jobs, a sliver of the table.

A partial index over those rows stays small however many finished ``JobRun`` rows pile up.
"""

from django.db import migrations

from app.indexes.operations import AddIndexConcurrently as Index


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("indexes", "0001_milestone_indexes"),
        ("platform", "0002_outbox"),
    ]

    operations = [
        Index(
            name="jobrun_unfinished",
            table="platform_jobrun",
            columns="sent_at, id",
            where="status IN ('pending', 'retrying', 'running')",
            serves="the outbox relay: WHERE status = 'pending' AND sent_at IS NULL ORDER BY id; the sweeper and "
            "the backlog: WHERE status IN (...) AND sent_at < ?",
        ),
    ]
