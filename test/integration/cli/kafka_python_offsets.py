"""kafka-python 2.0.2 as an independent group client: commit offsets for a group, or read them back.

  commit    BOOTSTRAP GROUP TOPIC P:O[,P:O...]   standalone OffsetCommit (no membership), then prints {}
  committed BOOTSTRAP GROUP TOPIC PARTITIONS     prints {"<partition>": offset or null, ...}
"""
import json
import sys

from kafka import KafkaConsumer, TopicPartition
from kafka.structs import OffsetAndMetadata

mode, bootstrap, group, topic, spec = sys.argv[1:6]
consumer = KafkaConsumer(bootstrap_servers=bootstrap.split(","), group_id=group, enable_auto_commit=False,
                         request_timeout_ms=11000, session_timeout_ms=10000)
try:
    if mode == "commit":
        offsets = {}
        for pair in spec.split(","):
            partition, offset = pair.split(":")
            offsets[TopicPartition(topic, int(partition))] = OffsetAndMetadata(int(offset), "")
        consumer.commit(offsets)
        print(json.dumps({}))
    elif mode == "committed":
        result = {}
        for partition in range(int(spec)):
            result[str(partition)] = consumer.committed(TopicPartition(topic, partition))
        print(json.dumps(result))
    else:
        raise SystemExit("unknown mode " + mode)
finally:
    consumer.close()
