import { CONSUMER_OFFSETS, TRANSACTION_STATE } from './names.ts';

/**
 * The topic-level configs DescribeConfigs reports, with Kafka's defaults. The internal topics
 * carry the overrides Kafka creates them with (compacted; `__consumer_offsets` here stamps
 * LogAppendTime so that ListOffsets by timestamp follows the append time of commits).
 */
const DEFAULTS: Record<string, string> = {
  'cleanup.policy': 'delete',
  'compression.type': 'producer',
  'delete.retention.ms': '86400000',
  // the broker's message.max.bytes default; Produce refuses a larger batch (MESSAGE_TOO_LARGE)
  'max.message.bytes': '1048588',
  'message.timestamp.type': 'CreateTime',
  'min.insync.replicas': '1',
  'retention.bytes': '-1',
  'retention.ms': '604800000',
  'segment.bytes': '1073741824',
  'unclean.leader.election.enable': 'false',
};

export function topicConfigDefaults(topic: string): Record<string, string> {
  if (topic === CONSUMER_OFFSETS) {
    return { ...DEFAULTS, 'cleanup.policy': 'compact', 'compression.type': 'producer', 'segment.bytes': '104857600', 'message.timestamp.type': 'LogAppendTime' };
  }
  if (topic === TRANSACTION_STATE) {
    return { ...DEFAULTS, 'cleanup.policy': 'compact', 'segment.bytes': '104857600', 'min.insync.replicas': '2' };
  }
  return { ...DEFAULTS };
}

/** Names of configs whose value is a Kafka default rather than set on the topic. */
export function isDefaultConfig(topic: string, name: string, value: string): boolean {
  return DEFAULTS[name] === value && topicConfigDefaults(topic)[name] === value;
}

export const KNOWN_TOPIC_CONFIGS: readonly string[] = Object.keys(DEFAULTS);
