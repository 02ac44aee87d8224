"""Page views' event ids stay unique, through a constraint instead of ``unique=True``.

On PostgreSQL this drops the ``varchar_pattern_ops`` index Django adds beside a unique CharField:
no query matches event ids with LIKE, and every view stored had to update it. The new unique
index is built inside the migration's transaction, locking ``analytics_pageview`` against writes
meanwhile; only the flush job writes it, and views wait in the Redis buffer until it is done.
"""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('analytics', '0002_views_arrive_in_batches'),
        ('posts', '0002_comment_counter'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='pageview',
            name='event_id',
            field=models.CharField(max_length=32),
        ),
        migrations.AddConstraint(
            model_name='pageview',
            constraint=models.UniqueConstraint(fields=('event_id',), name='pageview_event_once'),
        ),
    ]
