import { compileSchema } from '../../../lambdas/core/schema/index.ts';
import type { RawMessageSchema } from '../../../lambdas/core/schema/index.ts';
import { protocolSchemas } from '../protocol/protocol-schemas.generated.ts';

/**
 * AddPartitionsToTxn v0-3, the versions clients send (v4+ batches transactions and is
 * broker-to-broker only). The shared schema folder has no file for this API, so the layout is
 * written out here from the protocol documentation: v0-2 classic encoding, v3 flexible.
 * Field names follow Kafka's current schema, where the client-facing fields carry the
 * "V3AndBelow" prefix.
 */
const request: RawMessageSchema = {
  name: 'AddPartitionsToTxnRequest',
  type: 'request',
  apiKey: 24,
  validVersions: '0-3',
  flexibleVersions: '3+',
  fields: [
    { name: 'V3AndBelowTransactionalId', type: 'string', versions: '0-3' },
    { name: 'V3AndBelowProducerId', type: 'int64', versions: '0-3' },
    { name: 'V3AndBelowProducerEpoch', type: 'int16', versions: '0-3' },
    {
      name: 'V3AndBelowTopics',
      type: '[]AddPartitionsToTxnTopic',
      versions: '0-3',
      fields: [
        { name: 'Name', type: 'string', versions: '0+' },
        { name: 'Partitions', type: '[]int32', versions: '0+' },
      ],
    },
  ],
};

const response: RawMessageSchema = {
  name: 'AddPartitionsToTxnResponse',
  type: 'response',
  apiKey: 24,
  validVersions: '0-3',
  flexibleVersions: '3+',
  fields: [
    { name: 'ThrottleTimeMs', type: 'int32', versions: '0+' },
    {
      name: 'ResultsByTopicV3AndBelow',
      type: '[]AddPartitionsToTxnTopicResult',
      versions: '0-3',
      fields: [
        { name: 'Name', type: 'string', versions: '0+' },
        {
          name: 'ResultsByPartition',
          type: '[]AddPartitionsToTxnPartitionResult',
          versions: '0+',
          fields: [
            { name: 'PartitionIndex', type: 'int32', versions: '0+' },
            { name: 'PartitionErrorCode', type: 'int16', versions: '0+' },
          ],
        },
      ],
    },
  ],
};

/** Adds the two schemas to the cluster's protocol registry unless a schema file already provides them. */
export function registerAddPartitionsToTxnSchemas(): void {
  protocolSchemas['AddPartitionsToTxnRequest'] ??= compileSchema(request);
  protocolSchemas['AddPartitionsToTxnResponse'] ??= compileSchema(response);
}
