"""The scaling doctor: looks at a running deployment and says which milestone problem it has.

Each check reads what the deployment already records — PostgreSQL's statistics
(``pg_stat_user_tables``, ``pg_stat_statements``, ``pg_stat_activity``), the replica's replay
position, the job queues and the outbox, the application cache's counters, Prometheus where the
tier runs it — or, for queries per request, fetches the list pages in-process and counts.
A finding names the problem, the tier whose milestone fixes it, and what not to do yet: the
thresholds (``settings.DOCTOR``) are the graduation triggers the README lists.

``manage.py doctor`` prints the report (exit status 1 when it finds a problem); staff see the
same at ``/ops/doctor``.
"""

from __future__ import annotations

from app.platform.doctor.examination import examine
from app.platform.doctor.report import Finding, Report, Status

__all__ = ["Finding", "Report", "Status", "examine"]
