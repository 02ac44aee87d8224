"""``make loadtest``: the product's real journeys under Locust, against a tier started for the run.

``journeys.py`` is the locustfile (browse, read, comment, shop, check out, dashboard, API);
``run.py`` starts the tier's stack on free ports, runs Locust headless against it, writes its
HTML report and CSV files to ``bench/results/``, and fails when p95 latency or the error rate
passes its threshold.
"""
