"""The bridge to FreeSWITCH's Event Socket: its own process, on greenswitch and gevent."""
