import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';

import { SignatureV4 } from '@smithy/signature-v4';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { amzDate, signRequest, type Credentials } from '../../../src/aws/sigv4.ts';

/** The SDK's signer wants a sha256 class; node's crypto is what its own Node hash uses. */
class NodeSha256 {
  private h: Hash | Hmac;
  private readonly secret?: string | Buffer;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.secret = secret === undefined || typeof secret === 'string' ? secret : ArrayBuffer.isView(secret) ? Buffer.from(secret.buffer, secret.byteOffset, secret.byteLength) : Buffer.from(secret);
    this.h = this.fresh();
  }
  private fresh(): Hash | Hmac {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', this.secret);
  }
  update(data: string | Uint8Array): void {
    this.h.update(data);
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.h.digest()));
  }
  reset(): void {
    this.h = this.fresh();
  }
}

/** The AWS SDK's own signature of the same request: the oracle. */
async function sdkSigned(input: { host: string; body: string; region: string; target: string; credentials: Credentials; date: Date }): Promise<Record<string, string>> {
  const signer = new SignatureV4({ service: 'dynamodb', region: input.region, credentials: input.credentials, sha256: NodeSha256, applyChecksum: false });
  const signed = await signer.sign(
    {
      method: 'POST',
      protocol: 'https:',
      hostname: input.host.split(':')[0]!,
      ...(input.host.includes(':') ? { port: Number(input.host.split(':')[1]) } : {}),
      path: '/',
      query: {},
      headers: { host: input.host, 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': input.target },
      body: input.body,
    },
    { signingDate: input.date },
  );
  return signed.headers;
}

function ours(input: { host: string; body: string; region: string; target: string; credentials: Credentials; date: Date }): Record<string, string> {
  return signRequest({
    method: 'POST',
    host: input.host,
    path: '/',
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': input.target },
    body: input.body,
    region: input.region,
    service: 'dynamodb',
    credentials: input.credentials,
    date: input.date,
  });
}

describe('signRequest (SigV4 for the light DynamoDB client)', () => {
  it('writes the X-Amz-Date form AWS expects', () => {
    expect(amzDate(new Date('2026-11-26T02:15:07.123Z'))).toBe('20261126T021507Z');
  });

  it('signs a Query exactly as the AWS SDK signs it', async () => {
    const input = {
      host: 'dynamodb.eu-west-1.amazonaws.com',
      body: JSON.stringify({ TableName: 'helmstep-audit', KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: 'release#prod/shop/web' } } }),
      region: 'eu-west-1',
      target: 'DynamoDB_20120810.Query',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', sessionToken: 'FwoGZXIvYXdzEXAMPLE' },
      date: new Date('2026-11-26T02:15:07Z'),
    };
    const want = await sdkSigned(input);
    const got = ours(input);
    expect(got.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20261126\/eu-west-1\/dynamodb\/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, Signature=[0-9a-f]{64}$/);
    expect(got).toEqual(want);
  });

  it('agrees with the AWS SDK for any body, host, region, credentials and time', async () => {
    const text = fc.string({ unit: 'binary', maxLength: 200 });
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          host: fc.oneof(fc.constant('127.0.0.1:8000'), fc.constant('dynamodb.us-east-1.amazonaws.com'), fc.domain()),
          body: fc.oneof(text, fc.json()),
          region: fc.constantFrom('us-east-1', 'eu-west-1', 'ap-southeast-2'),
          target: fc.constantFrom('DynamoDB_20120810.Query', 'DynamoDB_20120810.ListTables'),
          credentials: fc.record(
            { accessKeyId: fc.stringMatching(/^[A-Z0-9]{4,20}$/), secretAccessKey: fc.string({ minLength: 1, maxLength: 40 }), sessionToken: fc.stringMatching(/^[A-Za-z0-9+/=]{1,60}$/) },
            { requiredKeys: ['accessKeyId', 'secretAccessKey'] },
          ),
          date: fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true }),
        }),
        async (input) => {
          expect(ours(input)).toEqual(await sdkSigned(input));
        },
      ),
      { numRuns: 200 },
    );
  });
});
