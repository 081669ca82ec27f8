"""kafka-python 2.0.2 as a subscribed group member, the way an application runs one.

  consume BOOTSTRAP GROUP TOPIC N   joins (auto_offset_reset=earliest), reads N messages committing
                                    after each poll, prints {"received": ["value", ...]} and leaves
  hold    BOOTSTRAP GROUP TOPIC STOP  joins (auto_offset_reset=latest, never commits), prints
                                    {"joined": [partitions]} once assigned, leaves once file STOP exists
"""
import json
import os
import sys
import time

from kafka import KafkaConsumer

mode, bootstrap, group, topic, count = sys.argv[1:6]
consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap.split(","), group_id=group, enable_auto_commit=False,
                         auto_offset_reset="earliest" if mode == "consume" else "latest",
                         session_timeout_ms=10000, heartbeat_interval_ms=500, request_timeout_ms=11000,
                         max_poll_interval_ms=30000)
try:
    if mode == "consume":
        wanted, received, deadline = int(count), [], time.time() + 40
        while len(received) < wanted and time.time() < deadline:
            batches = consumer.poll(timeout_ms=200)
            for records in batches.values():
                received.extend(r.value.decode() for r in records)
            if batches:
                consumer.commit()
        print(json.dumps({"received": received}), flush=True)
    elif mode == "hold":
        announced = False
        while True:
            consumer.poll(timeout_ms=100)
            if not announced and consumer.assignment():
                print(json.dumps({"joined": sorted(tp.partition for tp in consumer.assignment())}), flush=True)
                announced = True
            if os.path.exists(count):
                break
    else:
        raise SystemExit("unknown mode " + mode)
finally:
    consumer.close()
