"""The REST API for the page and for automation: /api/v1/."""
