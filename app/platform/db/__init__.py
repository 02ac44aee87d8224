"""The database side of the platform: read/write routing and replica health, loading
strategies, bulk writes and data moves."""
