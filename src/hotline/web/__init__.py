"""The web application: pages and a JSON API over the same services and query functions as
the command line. It holds no logic of its own and loads nothing from a reported URL."""
