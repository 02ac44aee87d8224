"""``make capacity``: how many of each thing 100K, 1M and 10M users need, from measured figures.

``model`` is the arithmetic (assumptions and per-unit figures in, a plan out), ``figures`` finds
the figures (this machine's ``make bench`` results, else the committed baseline, and says which),
``render`` prints the plan. It lives beside the benchmarks because it reads their results; it
needs no Django and no running service, so it runs on a fresh clone.
"""
