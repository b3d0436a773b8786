"""Use cases, one function each; the only place that commits. Split by area:

- ``cases``: the window and the task list (start, accept, supplement, claim, complete, …)
- ``sweep``: the timer sweep that fires due deadlines exactly once
- ``catalogue_admin``: lint, deploy, withdraw, list powers
- ``supervision``: breaches and measures, the case record
"""
