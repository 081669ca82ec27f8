"""A static KIP-848 member (confluent-kafka, group.instance.id) leaving and coming back.

Usage: kip848_static.py BOOTSTRAP GROUP TOPIC PARTITIONS
A static member and a dynamic one share the topic and read it to the end; the static one closes
(a temporary leave, epoch -2) and a new consumer with the same instance id joins and must hold
the same partitions; then both close. One JSON line: {"before": [...], "after": [...]} (the
static member's partitions), or {"error": ...} and exit code 1.
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'support'))
from kip848_client import consumer, fail  # noqa: E402

bootstrap, group, topic, partitions = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])


def until(condition, members, what):
    deadline = time.time() + 30
    while not condition():
        if time.time() > deadline:
            fail(what)
        for m in members:
            m.poll(0.05)


static, dynamic = consumer(bootstrap, group, 'static-1'), consumer(bootstrap, group)
static.subscribe([topic])
until(lambda: len(static.assignment()) == partitions, [static], 'the static member did not get every partition')
dynamic.subscribe([topic])
until(lambda: static.assignment() and dynamic.assignment() and len(static.assignment()) + len(dynamic.assignment()) == partitions, [static, dynamic], 'the members did not share the partitions')
before = sorted(tp.partition for tp in static.assignment())
static.close()
again = consumer(bootstrap, group, 'static-1')
again.subscribe([topic])
until(lambda: len(again.assignment()) == len(before), [again, dynamic], 'the static member did not get its partitions back')
after = sorted(tp.partition for tp in again.assignment())
print(json.dumps({'before': before, 'after': after}), flush=True)
again.close()
dynamic.close()
