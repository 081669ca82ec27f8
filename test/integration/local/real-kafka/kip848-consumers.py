"""Two KIP-848 consumers (confluent-kafka, group.protocol=consumer) of one group, for the real-broker suites.

Usage: kip848-consumers.py BOOTSTRAP GROUP TOPIC PARTITIONS
The first consumer joins alone and gets every partition; the second joins once it has them, so
the coordinator moves partitions from one member to the other. Both poll until, between them,
they hold every partition at its end, then each commits its position synchronously. One JSON
line goes to stdout: {"members": [...], "committed": {"partition": offset}}. The consumers keep
polling until stdin closes, then the process exits without leaving the group (as a crashed
consumer would), so the group's member records stay in __consumer_offsets.
"""
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'support'))
from kip848_client import at_end, consumer, fail  # noqa: E402

bootstrap, group, topic, partitions = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])


members = [consumer(bootstrap, group), consumer(bootstrap, group)]
members[0].subscribe([topic])
deadline = time.time() + 45
while time.time() < deadline and len(members[0].assignment()) < partitions:
    members[0].poll(0.2)
members[1].subscribe([topic])
while time.time() < deadline and not (all(m.assignment() for m in members) and at_end(members, partitions)):
    for m in members:
        m.poll(0.1)
if time.time() >= deadline:
    fail('the consumers did not reach the end of every partition in 45 s')
committed = {}
for m in members:
    for tp in m.commit(asynchronous=False) or []:
        committed[str(tp.partition)] = tp.offset
print(json.dumps({'members': [m.memberid() for m in members], 'committed': committed}), flush=True)

stop = threading.Event()
threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
while not stop.is_set():
    for m in members:
        m.poll(0.1)
os._exit(0)
