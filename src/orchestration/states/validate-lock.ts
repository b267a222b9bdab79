/**
 * ValidateLock: the first state of both machines. Checks the request (zod, helm's release-name
 * rule, the cluster), then takes the release's lease for this execution. Owner = the execution
 * name (`$$.Execution.Name`), which also marks the pending record Render writes.
 * Writes the lease item only. A retry, or a re-run of the same execution, gets the lease again.
 */
import * as z from 'zod';
import { validateReleaseName } from '../../release/lifecycle.ts';
import { defineStep } from '../handler.ts';
import { DeployRequestSchema, RollbackRequestSchema, issueLines, type AnyRequest } from '../request.ts';
import { AnyRequestDocSchema, LeaseDocSchema } from '../document.ts';
import { GateUnavailable, InvalidRequest, WrongCluster } from '../errors.ts';
import { leaseRefOf } from './common.ts';

const Input = z.strictObject({
  /** Which machine: its request schema. Static in each ASL file. */
  machine: z.enum(['deploy', 'rollback']),
  /** The execution input, as StartExecution got it. */
  request: z.unknown(),
  /** `$$.Execution.Name`. */
  execution: z.string().min(1).max(80),
});

const Output = z.strictObject({
  request: AnyRequestDocSchema,
  owner: z.string(),
  lease: LeaseDocSchema,
});

export const validateLock = defineStep({
  state: 'ValidateLock',
  input: Input,
  output: Output,
  async run(deps, input, log) {
    const schema = input.machine === 'deploy' ? DeployRequestSchema : RollbackRequestSchema;
    const parsed = schema.safeParse(input.request);
    if (!parsed.success) throw new InvalidRequest('ValidateLock', issueLines(parsed.error));
    const request = { ...parsed.data, cluster: parsed.data.cluster ?? deps.cluster } as AnyRequest;
    const ref = leaseRefOf(request);
    if (request.cluster !== deps.cluster) throw new WrongCluster(ref, deps.cluster);
    validateReleaseName(request.name);
    if ('gate' in request && request.gate && !deps.gate) throw new GateUnavailable(ref);
    const grant = await deps.lease.acquire(ref, input.execution, deps.engine.now(), deps.leaseTtlMs);
    if (grant.tookOver) log.warn('took over an expired lease', { previousOwner: grant.tookOver.owner, expiredAt: grant.tookOver.expiresAt.toISOString() });
    return {
      request,
      owner: input.execution,
      lease: { expiresAt: grant.lease.expiresAt.toISOString(), ...(grant.tookOver ? { tookOver: grant.tookOver.owner } : {}) },
    };
  },
});
