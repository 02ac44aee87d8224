"""``make bench``: scenarios that measure side by side in one run and print ratios.

Absolute figures drift on a shared machine; ratios measured in the same run do not,
so every scenario reports its headline as a ratio (``ratio`` in its JSON).
"""
