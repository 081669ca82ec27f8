/**
 * One request on a raw socket through the local cluster's own protocol codec, for the requests
 * no client library here sends the way a scenario needs (OffsetCommit with a retention time,
 * OffsetDelete, OffsetFetch with require_stable): the answer is the broker's, field for field.
 */
import { decodeResponse, encodeRequest, type ProtocolBody } from '../../../../local/kafka/protocol/codec.ts';
import { errorName } from '../../../../local/kafka/protocol/error-codes.ts';
import { RawClient } from '../kafka/helpers.ts';

let correlation = 0;

export async function requestOnce(broker: string, apiKey: number, apiVersion: number, body: ProtocolBody, clientId = 'conformance-raw'): Promise<ProtocolBody> {
  const [host, port] = broker.split(':') as [string, string];
  const client = await RawClient.open(host, Number(port));
  try {
    const correlationId = ++correlation;
    client.socket.write(encodeRequest({ apiKey, apiVersion, correlationId, clientId }, body));
    await client.until(() => client.frames.length > 0 || client.closed, 15_000);
    const frame = client.frames[0];
    if (frame === undefined) throw new Error(`the broker closed the connection instead of answering API ${apiKey} v${apiVersion}`);
    return decodeResponse(apiKey, apiVersion, frame).body;
  } finally {
    client.close();
  }
}

/** An error code as its Kafka name (NONE for 0), so a transcript reads as the broker's answer. */
export function codeName(code: unknown): string {
  return errorName(Number(code));
}
