"""Django's PostgreSQL backend, checking reused connections only when they may have gone stale
(``ENGINE = "app.platform.db.backends.postgresql"``; see ``base.DatabaseWrapper``)."""
