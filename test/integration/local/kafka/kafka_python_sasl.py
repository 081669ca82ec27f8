"""kafka-python 2.0.2 producing over SASL (it sends raw SASL tokens after SaslHandshake); prints the offset."""
import sys

from kafka import KafkaProducer

bootstrap, mechanism, user, password, topic = sys.argv[1:6]
producer = KafkaProducer(bootstrap_servers=bootstrap.split(","), security_protocol="SASL_PLAINTEXT",
                         sasl_mechanism=mechanism, sasl_plain_username=user, sasl_plain_password=password,
                         request_timeout_ms=10000, api_version_auto_timeout_ms=10000)
print(producer.send(topic, b"over-sasl", partition=0).get(timeout=10).offset)
producer.close()
