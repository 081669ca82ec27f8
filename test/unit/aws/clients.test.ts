import { describe, expect, it } from 'vitest';
import { awsClients } from '../../../lambdas/aws/clients.ts';

describe('shared AWS SDK clients', () => {
  it('all keep the SDK\'s standard retries (3 attempts), the CloudWatch Logs client included', async () => {
    for (const [name, make] of Object.entries(awsClients)) {
      const client = make();
      expect(await client.config.maxAttempts(), name).toBe(3);
      const mode = client.config.retryMode;
      expect(typeof mode === 'string' ? mode : await mode(), name).toBe('standard');
    }
  });
});
