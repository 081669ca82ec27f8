import { compileSchema, type MessageSchema, type RawMessageSchema } from '../../../lambdas/core/schema/index.ts';

/**
 * Protocol schemas the cluster serves that have no file in the vendored schema set, written from
 * Kafka's wire facts and compiled like the generated ones. The codec consults them after the
 * generated registry, which stays exactly as generated.
 *
 * AddPartitionsToTxn (API key 24), versions 0-3: the client versions (v4+ batch several
 * transactions and are broker-to-broker only). On the wire, v0-2 are classic and v3 is flexible
 * (compact strings and arrays, tagged-field sections):
 *   request:  transactional_id string, producer_id int64, producer_epoch int16,
 *             topics [name string, partitions [int32]]
 *   response: throttle_time_ms int32,
 *             results [name string, results [partition_index int32, partition_error_code int16]]
 * Field names are those of Kafka's current schema, where the pre-v4 fields carry a "V3AndBelow"
 * prefix, so values look the same as they would with an upstream schema file.
 */
const addPartitionsToTxnRequest: RawMessageSchema = {
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

const addPartitionsToTxnResponse: RawMessageSchema = {
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

export const supplementarySchemas: Readonly<Record<string, MessageSchema>> = Object.freeze({
  AddPartitionsToTxnRequest: compileSchema(addPartitionsToTxnRequest),
  AddPartitionsToTxnResponse: compileSchema(addPartitionsToTxnResponse),
});
