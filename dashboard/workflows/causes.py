"""Why a call failed, in words, and the hangup reason to relay it with."""
from __future__ import annotations

# Dial's dialstatus -> (hangup reason to relay to the other leg, words for a person)
DIAL_FAILURES = {
    "BUSY": ("busy", "the line is busy"),
    "NOANSWER": ("no_answer", "no answer"),
    "CONGESTION": ("congestion", "the network is congested"),
    "CHANUNAVAIL": ("unallocated", "the number is unavailable"),
    "CANCEL": ("normal", "the call was cancelled"),
}

# Q.850 cause of ChannelDestroyed -> (hangup reason, words)
CAUSES = {
    1: ("unallocated", "the number does not exist"),
    3: ("unallocated", "no route to the destination"),
    16: ("normal", "hung up"),
    17: ("busy", "the line is busy"),
    18: ("no_answer", "no answer"),
    19: ("no_answer", "no answer"),
    21: ("rejected", "the call was rejected"),
    27: ("failure", "the destination is out of order"),
    28: ("number_incomplete", "the number is incomplete"),
    34: ("congestion", "no circuit available"),
    38: ("congestion", "the network is out of order"),
    42: ("congestion", "the network is congested"),
}


def from_cause(cause: int, cause_txt: str = "") -> tuple[str, str]:
    return CAUSES.get(cause, ("normal", cause_txt.lower() or f"ended (cause {cause})"))
