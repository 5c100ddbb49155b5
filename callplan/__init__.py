"""The call-plan domain: plan models, validation, the compiler to FreeSWITCH XML, the simulator.

Pure code: no network, no web framework, no database session."""
