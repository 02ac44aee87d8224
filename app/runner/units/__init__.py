"""What a tier's stack is made of, one module per server (or kind of step): the names a tier
lists in ``RUNNER_SERVICES`` map to these classes in ``app.runner.registry``.

``kinds`` holds the base classes (``Daemon``, ``Task``, ``Group``) and the ``Context``.
"""
