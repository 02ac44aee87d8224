"""Every scenario ``make bench`` knows, by the name ``S=`` takes."""

from bench.scenarios import (
    checkout_latency,
    deploy,
    feed_queries,
    floor,
    index,
    page_views,
    pooling,
    priorities,
    replica,
    seeding,
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
}
