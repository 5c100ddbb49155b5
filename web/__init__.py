"""The web side of the PBX: JSON API, portal pages, auth, and (later) the mod_xml_curl endpoint."""
