"""What FreeSWITCH's mod_xml_curl fetches from the app: dialplan contexts, directory users and
callcenter.conf, on one route (POST /freeswitch/xml) with its own HTTP basic credentials.

    endpoint       the route: credentials, source addresses, form fields, dispatch, never a 500
    dialplan       a tenant's context (base dialplan + published plans + public numbers); "public"
    directory      phones' digest credentials and variables, users' dial strings and voicemail boxes;
                   the ESL helper that flushes FreeSWITCH's own directory cache
    configuration  callcenter.conf for every tenant
    cache          per-process documents keyed by (tenant, config_generation)

Real requests as FreeSWITCH 1.10.12 sends them are in shared/fixtures (tests replay every one)."""

from web.xml_curl.endpoint import PATH, XmlCurlRoute, routes  # noqa: F401
