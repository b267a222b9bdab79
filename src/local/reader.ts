/**
 * The local state opened for reading only, as `helmstep audit history|events|verify` do: the
 * light DynamoDB client (src/aws/dynamodb-json.ts) instead of the AWS SDK's, so a query process
 * loads no SDK. Against AWS itself (HELMSTEP_DYNAMODB_ENDPOINT=aws: profiles, SSO, instance
 * roles) it takes the SDK's client, which resolves those.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

import type { DynamoQuery } from '../aws/dynamodb-json.ts';
import { LOCAL_CREDENTIALS, openStateEndpoint, TABLES, type Env, type OpenOptions } from './endpoint.ts';

export interface LocalReader {
  /** For AuditQueries: the light client, or the SDK's against AWS. */
  readonly client: DynamoDBClient | DynamoQuery;
  readonly tables: typeof TABLES;
  readonly endpoint: string;
  /** Creates the tables (with the SDK): for a read that found none, so a fresh state reads as empty. */
  ensureTables(): Promise<void>;
  close(): Promise<void>;
}

export async function openLocalReader(env: Env, opts: OpenOptions = {}): Promise<LocalReader> {
  const at = await openStateEndpoint(env, opts);
  try {
    const client =
      at.endpoint === 'aws'
        ? (await import('./state.ts')).dynamoClient('aws')
        : new (await import('../aws/dynamodb-json.ts')).DynamoJsonClient({ endpoint: at.endpoint, region: process.env.AWS_REGION ?? 'us-east-1', credentials: LOCAL_CREDENTIALS });
    return {
      client,
      tables: TABLES,
      endpoint: at.endpoint,
      ensureTables: async () => {
        const { dynamoClient, ensureTables } = await import('./state.ts');
        const sdk = dynamoClient(at.endpoint);
        try {
          await ensureTables(sdk);
        } finally {
          sdk.destroy();
        }
      },
      close: async () => {
        client.destroy();
        await at.close();
      },
    };
  } catch (e) {
    await at.close();
    throw e;
  }
}
