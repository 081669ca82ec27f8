/**
 * The Apache Kafka releases the suite runs as the oracle (all served by Maven Central):
 * the newest 4.x, the newest 4.1.x still open to KAFKA-19862 (fixed in 4.0.2 and 4.1.2),
 * the newest 4.0.x, and the newest 3.9.x, the last line with the classic group coordinator by default.
 */
export const REAL_KAFKA_RELEASES = {
  newest: '4.4.0',
  vulnerable41: '4.1.1',
  /** the 4.0 line the local cluster's 4.0 profile was recorded from */
  runtime40: '4.0.2',
  classic39: '3.9.2',
} as const;
