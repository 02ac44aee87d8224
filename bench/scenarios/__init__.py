"""Every scenario ``make bench`` knows, by the name ``S=`` takes."""

from bench.scenarios import (
    cache,
    checkout_latency,
    deploy,
    feed_queries,
    floor,
    index,
    move_team,
    page_views,
    pooling,
    priorities,
    rate_limit,
    replica,
    scale_out,
    seeding,
    shards,
    stampede,
)

SCENARIOS = {
    "floor": floor.run,
    "feed-queries": feed_queries.run,
    "checkout-latency": checkout_latency.run,
    "index": index.run,
    "priorities": priorities.run,
    "pooling": pooling.run,
    "replica": replica.run,
    "page-views": page_views.run,
    "seed": seeding.run,
    "deploy": deploy.run,
    "cache": cache.run,
    "stampede": stampede.run,
    "scale-out": scale_out.run,
    "rate-limit": rate_limit.run,
    "move-team": move_team.run,
    "shards": shards.run,
}
