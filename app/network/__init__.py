"""Member-to-member network: connections, follows, the ``/following`` feed and the
``/connections`` pages (blueprint ``network``)."""
