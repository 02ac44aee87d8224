"""The HTTP edge: health probes, trusted proxies, static file headers, paging."""
