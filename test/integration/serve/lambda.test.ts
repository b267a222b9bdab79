/**
 * The trigger Lambdas (functions/webhook-*.ts, alarm-eventbridge.ts, alertmanager.ts) over a real
 * DynamoDB (dynalite) with Step Functions mocked (it cannot run here): API Gateway proxy events in,
 * StartExecution once per delivery or transition, and the crash between recording a delivery and
 * starting it recovered by the redelivery.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { startDynalite, type LocalDynamo } from '../../../src/local/dynalite.ts';
import { executionArn, SfnExecutions } from '../../../src/serve/executions.ts';
import { alertmanagerHandler, eventBridgeHandler, serviceFromEnv, webhookHandler } from '../../../src/serve/lambda.ts';
import { silentServiceLog } from '../../../src/serve/service.ts';
import { createTriggersTable, DynamoTriggerStore } from '../../../src/triggers/dynamo.ts';
import { fixtureText, pushBody, SECRET, TOKEN } from './harness.ts';

const DEPLOY = 'arn:aws:states:eu-west-1:123456789012:stateMachine:helmstep-deploy';
const ROLLBACK = 'arn:aws:states:eu-west-1:123456789012:stateMachine:helmstep-rollback';
const TABLE = 'helmstep-triggers';
const sfn = mockClient(SFNClient);

describe('trigger Lambdas', () => {
  let db: LocalDynamo;
  let dynamo: DynamoDBClient;
  const env = () => ({
    HELMSTEP_TRIGGERS_TABLE: TABLE,
    HELMSTEP_CLUSTER_NAME: 'prod-eu',
    HELMSTEP_DEPLOY_STATE_MACHINE_ARN: DEPLOY,
    HELMSTEP_ROLLBACK_STATE_MACHINE_ARN: ROLLBACK,
    HELMSTEP_GITHUB_SECRET: `old-secret\n${SECRET}`,
    HELMSTEP_ALARM_TOKEN: TOKEN,
    HELMSTEP_TARGETS: `
targets:
  - github: { repository: Codertocat/Hello-World, ref: master, event: push }
    cluster: prod-eu
    namespace: shop
    release: web
    chart: oci://registry.example.com/charts/web
    set: ["image.tag={{sha}}"]
`,
  });
  const make = () =>
    serviceFromEnv({ env: env(), dynamo, log: silentServiceLog, starter: new SfnExecutions({ client: new SFNClient({ region: 'eu-west-1' }), stateMachines: { deploy: DEPLOY, rollback: ROLLBACK } }) });

  beforeAll(async () => {
    db = await startDynalite();
    dynamo = new DynamoDBClient({ endpoint: db.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    await createTriggersTable(dynamo, TABLE);
  });
  afterAll(async () => {
    dynamo.destroy();
    await db.close();
  });
  beforeEach(() => {
    sfn.reset();
    sfn.on(StartExecutionCommand).callsFake((input: { stateMachineArn: string; name: string }) => ({ executionArn: executionArn(input.stateMachineArn, input.name), startDate: new Date() }));
  });

  const apiEvent = (body: string, headers: Record<string, string>) => ({
    version: '2.0',
    rawPath: '/webhooks/github',
    headers,
    body: Buffer.from(body).toString('base64'),
    isBase64Encoded: true,
    requestContext: { http: { method: 'POST' } },
  });
  const githubEvent = (delivery: string, body = pushBody('6113728f27ae82c7b1a177c8d03f9e96e0adf246')) =>
    apiEvent(body, {
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-github-delivery': delivery,
      'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`,
    });
  const ctx = {} as never;

  it('webhook: 202 and one StartExecution named after the delivery; the redelivery 409 and no second start', async () => {
    const handler = webhookHandler('github', make);
    const delivery = randomUUID();
    const first = await handler(githubEvent(delivery), ctx);
    expect(first.statusCode, first.body).toBe(202);
    expect(JSON.parse(first.body)).toMatchObject({ executionName: `github-${delivery}`, executionId: executionArn(DEPLOY, `github-${delivery}`) });
    const starts = sfn.commandCalls(StartExecutionCommand);
    expect(starts).toHaveLength(1);
    const input = JSON.parse(starts[0]!.args[0].input.input!) as Record<string, unknown>;
    expect(input).toMatchObject({ cluster: 'prod-eu', namespace: 'shop', name: 'web', trigger: { actor: 'github:Codertocat', kind: 'github-push', deliveryId: delivery } });

    const again = await handler(githubEvent(delivery), ctx);
    expect(again.statusCode).toBe(409);
    expect(JSON.parse(again.body)).toMatchObject({ reason: 'Replay', executionId: executionArn(DEPLOY, `github-${delivery}`) });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(1);

    const bad = await handler({ ...githubEvent(randomUUID()), headers: { 'x-hub-signature-256': 'sha256=00' } }, ctx);
    expect(bad.statusCode).toBe(401);
    expect((await handler('not an event', ctx)).statusCode).toBe(400);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(1);
  });

  it('a delivery recorded but never started (a crash in between): the redelivery starts it under the same name and answers with it', async () => {
    const delivery = randomUUID();
    await new DynamoTriggerStore(dynamo, TABLE).recordDelivery('github', delivery, `github-${delivery}`);
    const answer = await webhookHandler('github', make)(githubEvent(delivery), ctx);
    expect(answer.statusCode).toBe(409);
    expect(JSON.parse(answer.body)).toMatchObject({ reason: 'Replay', executionId: executionArn(DEPLOY, `github-${delivery}`) });
    expect(sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input.name)).toEqual([`github-${delivery}`]);
    expect(await new DynamoTriggerStore(dynamo, TABLE).delivery('github', delivery)).toMatchObject({ executionId: executionArn(DEPLOY, `github-${delivery}`) });
    await webhookHandler('github', make)(githubEvent(delivery), ctx);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(1);
  });

  it('EventBridge: an ALARM for a tagged alarm starts the rollback machine once; Alertmanager needs the token', async () => {
    const event = JSON.parse(fixtureText('cloudwatch-alarm-state-change-alarm.json')) as { detail: Record<string, unknown> };
    event.detail.alarmTags = { 'helmstep:release': 'web', 'helmstep:namespace': 'shop', 'helmstep:cluster': 'prod-eu' };
    const handler = eventBridgeHandler(make);
    const out = await handler(event, ctx);
    expect(out).toMatchObject({ status: 202, transitions: [{ action: 'rollback' }] });
    const starts = sfn.commandCalls(StartExecutionCommand);
    expect(starts.map((c) => c.args[0].input.stateMachineArn)).toEqual([ROLLBACK]);
    expect(JSON.parse(starts[0]!.args[0].input.input!)).toMatchObject({ name: 'web', target: 0, trigger: { actor: 'alarm:ServerCpuTooHigh', kind: 'alarm' } });
    expect(await handler(event, ctx)).toMatchObject({ status: 200, transitions: [{ why: 'duplicate' }] });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(1);

    const am = alertmanagerHandler(make, env());
    const body = fixtureText('alertmanager-resolved.json');
    expect((await am(apiEvent(body, { 'content-type': 'application/json' }), ctx)).statusCode).toBe(401);
    const ok = await am(apiEvent(body, { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }), ctx);
    expect(ok.statusCode, ok.body).toBe(200);
    expect(JSON.parse(ok.body)).toMatchObject({ outcome: 'recorded', transitions: [{ why: 'recovered' }] });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(1);
  });
});
