"""The domain operations both edges use: the web app's API and xml_curl handlers, and the bridge.

Nothing here knows HTTP (no Starlette, no requests or responses; import-linter checks it): call records,
notices and their outbox texts, queue agents, diversions, the company settings row, fallback routing,
internal numbering, references (what uses what), the call-plan snapshot, audit, blocked addresses,
directory changes, and the commands the app sends FreeSWITCH. Errors are `problems.Problem`s, which the
HTTP edge turns into problem+json answers."""
