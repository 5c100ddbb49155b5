"""The call-plan domain: plan models, validation, the compiler to FreeSWITCH XML, the simulator.

Pure code: no network, no web framework, no database session."""

# The step types complete the plan model: load them with the package, so a plan is never validated
# against an unfinished model.
from callplan import nodes as _nodes  # noqa: E402,F401
