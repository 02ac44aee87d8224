"""tier4: teams (the tenants) split across database shards.

The control database (``SHARDING["CONTROL"]``, the tier's primary and its replica) keeps what
is global: accounts, tokens, teams, memberships, the job log, and the directory saying which
shard holds each team (``Placement``). Each shard is a PostgreSQL cluster of its own holding
the team-scoped apps' rows (``SHARDING["TEAM_SCOPED"]``: posts, comments, products, orders).

* ``routing.ShardRouter`` sends a team-scoped query to the shard of the team the code runs
  for (``app.platform.tenancy``), and refuses one made for no team (``NoTenant``);
* ``directory`` places a new team and answers where a team lives;
* ``schema`` keeps every table on every database (one migration history everywhere), drops the
  foreign keys that would cross databases, and gives each shard its own range of ids;
* ``backend`` guards every connection against a query that joins across the split, and turns
  a shard that does not answer into a clear 503 for that shard's teams only.
"""
