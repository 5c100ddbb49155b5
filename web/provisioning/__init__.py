"""Phone provisioning by MAC (seed 001 6.6.1): web.provisioning.routes serves the files,
web.provisioning.render writes them from templates/, web.provisioning.timezones turns the tenant's
time zone into the phones' notations."""
