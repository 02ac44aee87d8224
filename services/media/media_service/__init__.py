"""Milestones' media service: invoice PDFs and thumbnails, rendered away from the application.

It imports nothing of the application's: messages in (``contract``), files out to object
storage (``stores``), results back. See ``services/media/README.md``.
"""
