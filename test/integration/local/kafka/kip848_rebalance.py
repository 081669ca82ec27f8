"""Two KIP-848 consumers (confluent-kafka, group.protocol=consumer) through a join and a leave.

Usage: kip848_rebalance.py BOOTSTRAP GROUP TOPIC PARTITIONS
The first consumer joins alone and gets every partition; the second joins, both read to the end
of every partition and commit synchronously; then the second leaves (close) and the first must
get every partition back. One JSON line per phase goes to stdout:
{"phase": "shared", "members": [...], "sizes": [n, m], "committed": {...}} and
{"phase": "alone", "sizes": [n]}; on a timeout {"error": ...} and exit code 1.
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'support'))
from kip848_client import at_end, consumer, fail  # noqa: E402

bootstrap, group, topic, partitions = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])


first, second = consumer(bootstrap, group), consumer(bootstrap, group)
first.subscribe([topic])
deadline = time.time() + 30
while len(first.assignment()) < partitions:
    if time.time() > deadline:
        fail('the first consumer did not get every partition in 30 s')
    first.poll(0.1)
second.subscribe([topic])
deadline = time.time() + 30
while not (first.assignment() and second.assignment() and at_end([first, second], partitions)):
    if time.time() > deadline:
        fail('the consumers did not share the partitions and reach the end in 30 s')
    first.poll(0.05)
    second.poll(0.05)
committed = {}
for m in (first, second):
    for tp in m.commit(asynchronous=False) or []:
        committed[str(tp.partition)] = tp.offset
print(json.dumps({'phase': 'shared', 'members': [first.memberid(), second.memberid()], 'sizes': [len(first.assignment()), len(second.assignment())], 'committed': committed}), flush=True)
second.close()
deadline = time.time() + 30
while len(first.assignment()) < partitions:
    if time.time() > deadline:
        fail('the first consumer did not get every partition back in 30 s')
    first.poll(0.1)
print(json.dumps({'phase': 'alone', 'sizes': [len(first.assignment())]}), flush=True)
first.close()
