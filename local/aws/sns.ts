/**
 * SNS stand-in (awsQuery: form-encoded POST, XML answers): Publish to the topics it was given,
 * keeping every message so tests and the demo can read the approval mail and the report.
 * A topic it does not know answers NotFound, as SNS does.
 */
import { randomUUID } from 'node:crypto';
import { ServiceError, xmlEscape, type StandinHandler, type StandinRequest, type StandinResponse } from './http-service.ts';

export interface PublishedMessage {
  topicArn: string;
  subject: string | null;
  message: string;
  messageId: string;
  publishedAt: Date;
}

const XMLNS = 'http://sns.amazonaws.com/doc/2010-03-31/';
/** SNS limits: 256 KiB message, 100-character ASCII subject. */
const MAX_MESSAGE_BYTES = 256 * 1024;
const MAX_SUBJECT = 100;

export class SnsStandin {
  readonly handler: StandinHandler;
  readonly messages: PublishedMessage[] = [];
  private readonly topics: Set<string>;
  private readonly listeners = new Set<(message: PublishedMessage) => void>();
  private throttleNext = 0;
  /** Publish calls answered, throttled ones included. */
  publishCalls = 0;

  constructor(topicArns: string[]) {
    this.topics = new Set(topicArns);
    this.handler = (request) => this.route(request);
  }

  /** The next `count` Publish calls answer Throttling (400, as SNS does when a rate is exceeded). */
  injectThrottling(count: number): void {
    this.throttleNext += count;
  }

  createTopic(topicArn: string): void {
    if (!/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/.test(topicArn)) throw new Error(`not an SNS topic ARN: ${topicArn}`);
    this.topics.add(topicArn);
  }

  /** Resolves with the first message (already published or still to come) that satisfies `predicate`. */
  waitForMessage(predicate: (message: PublishedMessage) => boolean, options: { timeoutMs?: number } = {}): Promise<PublishedMessage> {
    const found = this.messages.find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timeoutMs = options.timeoutMs ?? 30_000;
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(new Error(`no matching SNS message within ${timeoutMs} ms (${this.messages.length} published)`));
      }, timeoutMs);
      const listener = (message: PublishedMessage): void => {
        if (!predicate(message)) return;
        clearTimeout(timer);
        this.listeners.delete(listener);
        resolve(message);
      };
      this.listeners.add(listener);
    });
  }

  private route(request: StandinRequest): StandinResponse {
    if (request.method !== 'POST') throw new ServiceError('InvalidAction', 400, 'SNS accepts POST with a form-encoded body');
    const form = new URLSearchParams(request.body.toString('utf8'));
    const action = form.get('Action');
    if (action !== 'Publish') throw new ServiceError('InvalidAction', 400, `The action ${action ?? '(none)'} is not valid for this endpoint (the stand-in implements Publish).`);
    this.publishCalls += 1;
    if (this.throttleNext > 0) {
      this.throttleNext -= 1;
      throw new ServiceError('Throttling', 400, 'Rate exceeded');
    }
    const topicArn = form.get('TopicArn') ?? form.get('TargetArn');
    if (!topicArn) throw new ServiceError('InvalidParameter', 400, 'Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter');
    if (!this.topics.has(topicArn)) throw new ServiceError('NotFound', 404, 'Topic does not exist');
    const message = form.get('Message');
    if (message === null || message === '') throw new ServiceError('InvalidParameter', 400, 'Invalid parameter: Empty message');
    if (Buffer.byteLength(message) > MAX_MESSAGE_BYTES) throw new ServiceError('InvalidParameter', 400, 'Invalid parameter: Message too long');
    const subject = form.get('Subject');
    if (subject !== null && (subject.length > MAX_SUBJECT || /[^\x20-\x7e]/.test(subject))) {
      throw new ServiceError('InvalidParameter', 400, 'Invalid parameter: Subject must be ASCII text without line breaks, at most 100 characters');
    }
    const published: PublishedMessage = { topicArn, subject, message, messageId: randomUUID(), publishedAt: new Date() };
    this.messages.push(published);
    for (const listener of [...this.listeners]) listener(published);
    return xml(
      `<PublishResponse xmlns="${XMLNS}"><PublishResult><MessageId>${published.messageId}</MessageId></PublishResult>` +
        `<ResponseMetadata><RequestId>${request.requestId}</RequestId></ResponseMetadata></PublishResponse>`,
    );
  }
}

function xml(body: string, status = 200): StandinResponse {
  return { status, headers: { 'content-type': 'text/xml' }, body: `<?xml version="1.0"?>\n${body}` };
}

export function snsError(error: ServiceError, request: StandinRequest): StandinResponse {
  return xml(
    `<ErrorResponse xmlns="${XMLNS}"><Error><Type>${error.fault}</Type><Code>${xmlEscape(error.code)}</Code>` +
      `<Message>${xmlEscape(error.message)}</Message></Error><RequestId>${request.requestId}</RequestId></ErrorResponse>`,
    error.status,
  );
}
