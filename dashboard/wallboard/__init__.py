"""The supervisors' wallboard: one tile per person/endpoint, live counters and the last hour's calls.

board (what each endpoint does) and history (calls over the last hour) are kept by feed, in the
process that holds the ARI event streams; replica copies them into every web process, where
people (users' profiles) and tiles (the JSON shape) finish them for the page, the socket and the API.
"""
