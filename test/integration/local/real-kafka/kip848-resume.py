"""A KIP-848 consumer (confluent-kafka, group.protocol=consumer) reading a group from its committed offsets.

Usage: kip848-resume.py BOOTSTRAP GROUP TOPIC COUNT
Reads until COUNT messages arrived, then waits 2 s more to catch any extra message (a replay),
commits, leaves the group and prints the values as one JSON list. auto.offset.reset is 'error',
so a partition without a committed offset fails loudly instead of silently restarting.
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'support'))
from kip848_client import consumer  # noqa: E402

bootstrap, group, topic, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
c = consumer(bootstrap, group, offset_reset='error')
c.subscribe([topic])
values = []
errors = []
deadline = time.time() + 45
settle = None
while time.time() < deadline and (settle is None or time.time() < settle):
    m = c.poll(0.2)
    if m is None:
        continue
    if m.error():
        errors.append(str(m.error()))
        continue
    values.append(m.value().decode())
    if len(values) >= count and settle is None:
        settle = time.time() + 2
try:
    c.commit(asynchronous=False)
except Exception as e:  # nothing consumed: nothing to commit
    errors.append(str(e))
c.close()
print(json.dumps({'values': values, 'errors': errors}), flush=True)
