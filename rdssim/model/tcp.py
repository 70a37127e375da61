"""What the client's TCP stack does when the database stops answering (Linux defaults).

Sources (kernel ``Documentation/networking/ip-sysctl``; docs/calibration.md, "Clients"):
``tcp_syn_retries`` = 6 gives up on a connection attempt after 127 s; ``tcp_retries2`` = 15
retransmits a request on an open connection with an exponential back-off from the 200 ms
minimum RTO, capped at 120 s, and gives up after 924.6 s ("the hang").
"""

from __future__ import annotations

import bisect
import itertools

# assumption: a refused connection (RST from a live host) fails after about one round trip.
REFUSED_AFTER_S = 0.001
# assumption (Linux defaults): with no connect timeout the kernel gives up on SYNs after
# tcp_syn_retries=6 retransmissions, 1+2+4+8+16+32+64 s.
SYN_GIVE_UP_S = 127.0
# Linux TCP_RTO_MIN and TCP_RTO_MAX; tcp_retries2 = 15 retransmissions.
RTO_MIN_S = 0.2
RTO_MAX_S = 120.0
RETRIES2 = 15


def _retransmissions() -> tuple[float, ...]:
    """Seconds after the first send at which a request is retransmitted, and (last) given up:
    0.2, 0.6, 1.4, ..., 204.6, 324.6, ..., 924.6."""
    rtos = [min(RTO_MIN_S * 2**k, RTO_MAX_S) for k in range(RETRIES2 + 1)]
    return tuple(round(t, 9) for t in itertools.accumulate(rtos))


RETRANSMISSIONS_S = _retransmissions()
# With no read timeout a request on a connection to a dead host waits for the last
# retransmission to time out: about 924.6 s, "the hang".
RETRANSMIT_GIVE_UP_S = RETRANSMISSIONS_S[-1]


def next_retransmission_s(elapsed_s: float) -> float:
    """The first retransmission strictly after ``elapsed_s`` since the first send (the give-up
    time once they are all spent): when packets that get through again are noticed."""
    i = bisect.bisect_right(RETRANSMISSIONS_S, elapsed_s)
    return RETRANSMISSIONS_S[min(i, len(RETRANSMISSIONS_S) - 1)]
