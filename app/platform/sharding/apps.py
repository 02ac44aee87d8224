from django.apps import AppConfig


class ShardingConfig(AppConfig):
    """Installed by tier4 only: the shard directory's table, and the handlers that place teams
    and prepare each database's schema."""

    name = "app.platform.sharding"
    label = "sharding"
    verbose_name = "Sharding"

    def ready(self) -> None:
        from app.platform.sharding import directory, schema

        directory.connect()
        schema.connect()
