/** The Step Functions starter: idempotent by name (AWS calls mocked: they cannot run here). */
import { DescribeExecutionCommand, ExecutionAlreadyExists, ExecutionDoesNotExist, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';

import { executionArn, SfnExecutions } from '../../../src/serve/executions.ts';

const DEPLOY = 'arn:aws:states:eu-west-1:123456789012:stateMachine:helmstep-deploy';
const ROLLBACK = 'arn:aws:states:eu-west-1:123456789012:stateMachine:helmstep-rollback';
const sfn = mockClient(SFNClient);

describe('SfnExecutions', () => {
  beforeEach(() => sfn.reset());
  const starter = () => new SfnExecutions({ client: new SFNClient({ region: 'eu-west-1' }), stateMachines: { deploy: DEPLOY, rollback: ROLLBACK } });

  it('starts the machine under the name, with the input as JSON', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: executionArn(DEPLOY, 'github-1'), startDate: new Date() });
    expect(await starter().start('deploy', 'github-1', { name: 'web' })).toEqual({ executionId: `${DEPLOY.replace(':stateMachine:', ':execution:')}:github-1`, started: true });
    expect(sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input).toEqual({ stateMachineArn: DEPLOY, name: 'github-1', input: '{"name":"web"}' });
  });

  it('ExecutionAlreadyExists: answers with the existing execution, started false, nothing else started', async () => {
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: executionArn(ROLLBACK, 'alarm-x'), status: 'RUNNING', startDate: new Date('2026-01-01T00:00:00Z') });
    expect(await starter().start('rollback', 'alarm-x', {})).toEqual({ executionId: executionArn(ROLLBACK, 'alarm-x'), started: false });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(1);
    expect(sfn.commandCalls(DescribeExecutionCommand)[0]!.args[0].input).toEqual({ executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:helmstep-rollback:alarm-x' });
  });

  it('other errors are not swallowed', async () => {
    sfn.on(StartExecutionCommand).rejects(new Error('AccessDenied'));
    await expect(starter().start('deploy', 'n', {})).rejects.toThrow('AccessDenied');
  });

  it('describe looks in both machines when not told which; undefined when neither has it', async () => {
    sfn
      .on(DescribeExecutionCommand, { executionArn: executionArn(DEPLOY, 'n') })
      .rejects(new ExecutionDoesNotExist({ message: 'no', $metadata: {} }))
      .on(DescribeExecutionCommand, { executionArn: executionArn(ROLLBACK, 'n') })
      .resolves({ executionArn: executionArn(ROLLBACK, 'n'), status: 'FAILED', startDate: new Date(0), stopDate: new Date(1000), error: 'helmstep.Stop', cause: '{}' });
    expect(await starter().describe('n')).toMatchObject({ machine: 'rollback', status: 'FAILED', error: 'helmstep.Stop', stoppedAt: '1970-01-01T00:00:01.000Z' });
    sfn.reset();
    sfn.on(DescribeExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'no', $metadata: {} }));
    expect(await starter().describe('missing')).toBeUndefined();
  });
});
