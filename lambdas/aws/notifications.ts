import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { awsError } from './errors.ts';

/** SNS caps a message at 256 KiB; longer texts are cut with a pointer to where the rest is. */
export const SNS_MESSAGE_LIMIT_BYTES = 256 * 1024 - 1024;
const SUBJECT_LIMIT = 100;

export function fitSnsMessage(message: string, fullTextLocation: string): string {
  if (Buffer.byteLength(message) <= SNS_MESSAGE_LIMIT_BYTES) return message;
  const note = `\n\n[... cut to fit SNS; the full text is in ${fullTextLocation}]\n`;
  let cut = message.slice(0, SNS_MESSAGE_LIMIT_BYTES - Buffer.byteLength(note));
  while (Buffer.byteLength(cut) + Buffer.byteLength(note) > SNS_MESSAGE_LIMIT_BYTES) cut = cut.slice(0, -1024);
  return cut + note;
}

/** Email subjects must be ASCII, without line breaks, at most 100 characters. */
export function snsSubject(subject: string): string {
  const ascii = subject.replace(/[^\x20-\x7e]/g, '?');
  return ascii.length <= SUBJECT_LIMIT ? ascii : `${ascii.slice(0, SUBJECT_LIMIT - 3)}...`;
}

export async function publishNotification(sns: SNSClient, topicArn: string, subject: string, message: string): Promise<string | null> {
  try {
    const response = await sns.send(new PublishCommand({ TopicArn: topicArn, Subject: snsSubject(subject), Message: message }));
    return response.MessageId ?? null;
  } catch (error) {
    throw awsError(error, `sns:Publish to ${topicArn}`);
  }
}
