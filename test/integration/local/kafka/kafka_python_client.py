"""kafka-python 2.0.2 producer and group-less consumer against the local cluster; prints JSON."""
import json
import sys

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

bootstrap, topic, count = sys.argv[1], sys.argv[2], int(sys.argv[3])

producer = KafkaProducer(bootstrap_servers=bootstrap.split(","), acks="all", request_timeout_ms=10000)
sent = []
for i in range(count):
    meta = producer.send(topic, key=b"key-%d" % i, value=b"value-%d" % i, partition=0).get(timeout=10)
    sent.append(meta.offset)
producer.flush()
producer.close()

consumer = KafkaConsumer(bootstrap_servers=bootstrap.split(","), group_id=None, enable_auto_commit=False,
                         consumer_timeout_ms=5000)
tp = TopicPartition(topic, 0)
consumer.assign([tp])
consumer.seek_to_beginning(tp)
received = []
for message in consumer:
    received.append({"offset": message.offset, "key": message.key.decode(), "value": message.value.decode()})
    if len(received) == count:
        break
end = consumer.end_offsets([tp])[tp]
consumer.close()
print(json.dumps({"sent": sent, "received": received, "end": end, "api_version": list(producer.config["api_version"])}))
