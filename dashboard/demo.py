"""The demo users that `make run` creates: one per role, each on one of the simulator's phones."""
from .roles import ADMIN, AGENT, NOC, SUPERVISOR

# username, password, role, endpoint, extension (the simulator's phones have these numbers)
DEMO_USERS = [
    ("supervisor", "supervisor", SUPERVISOR, "PJSIP/supervisor1", "2001"),
    ("agent", "agent", AGENT, "PJSIP/alice", "1001"),
    ("agent2", "agent2", AGENT, "PJSIP/bob", "1002"),
    ("noc", "noc", NOC, "PJSIP/noc1", "3001"),
    ("admin", "admin", ADMIN, "PJSIP/admin1", "9001"),
]
