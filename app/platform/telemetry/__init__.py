"""What a running deployment says about itself (tier3): one JSON log line per request, and the
request's id carried into every line it causes, in this process, in the jobs it enqueues and in
the media service.

* ``request_id``: the id (the load balancer's ``X-Request-ID``, or a new one) and its binding to
  every log line written while it is current (structlog's context variables);
* ``request_stats``: what one request cost: queries and their time, application-cache hits and misses;
* ``middleware``: the request line (method, route, status, duration, queries, cache) and the
  ``X-Request-ID`` response header;
* ``json_logs``: the logging formatter that writes each line as one JSON object;
* ``task_context``: Celery signals that send the id with each task and bind it while the task runs.
"""
