/**
 * The Kafka adapter: `createKafkaPort(config)` gives lambdas/core the KafkaPort it needs,
 * talking to the cluster through kafkajs.
 */
import type { KafkaPort } from '../core/ports.ts';
import { validateKafkaConfig, type KafkaConnectionConfig } from './config.ts';
import { createKafkajsWire, describeKafkaErrorCode, type KafkajsWireOptions } from './kafkajs-internals.ts';
import { WireKafkaPort } from './port.ts';

export { validateKafkaConfig, parseBrokerAddress, type KafkaConnectionConfig, type SaslConfig, type SslConfig } from './config.ts';
export { describeKafkaErrorCode } from './kafkajs-internals.ts';
export type { MskTokenSigner } from './auth.ts';

export type KafkaPortOptions = KafkajsWireOptions;

/** Validates the config (throws INVALID_INPUT naming the field) and returns a port; nothing connects until the first call. */
export function createKafkaPort(config: KafkaConnectionConfig, options: KafkaPortOptions = {}): KafkaPort {
  const validated = validateKafkaConfig(config);
  return new WireKafkaPort(validated, createKafkajsWire(validated, options), describeKafkaErrorCode);
}
