"""What the KIP-848 consumer scripts of the local-cluster and real-broker suites share.

A consumer of the group (confluent-kafka, group.protocol=consumer, commits by hand), the check
that a set of members holds every partition at its end, and the one-line failure report the
tests read ({"error": ...} on stdout, exit code 1). A script finds this module with
sys.path.insert(0, <this folder>).
"""
import json
import os

from confluent_kafka import Consumer


def consumer(bootstrap, group, instance=None, offset_reset='earliest'):
    config = {
        'bootstrap.servers': bootstrap,
        'group.id': group,
        'group.protocol': 'consumer',
        'auto.offset.reset': offset_reset,
        'enable.auto.commit': False,
    }
    if instance is not None:
        config['group.instance.id'] = instance
    return Consumer(config)


def at_end(members, partitions):
    """True when, between them, the members hold all `partitions` partitions, each at its high watermark."""
    held = {}
    for m in members:
        for tp in m.position(m.assignment()):
            high = m.get_watermark_offsets(tp, timeout=5)[1]
            held[tp.partition] = tp.offset == high
    return len(held) == partitions and all(held.values())


def fail(message):
    print(json.dumps({'error': message}), flush=True)
    os._exit(1)
