/**
 * The state document the machines pass between states: references only (request flags, the
 * owner, the operation's revision, small poll states), never manifests; the pending record in
 * the cluster carries the revision. Each Task writes its answer into its own slot (ResultPath),
 * each Catch puts `{Error, Cause}` into `error` (or `rollbackError`), so a state reads what
 * earlier states decided.
 *
 *   request, owner, lease      ValidateLock
 *   op                         Render (deploy) / Rollback (rollback machine)
 *   backup, migrate, pre, post hook poll loops
 *   upgrade                    Upgrade
 *   gate                       HealthGate poll loop
 *   release                    Finalize
 *   failure                    FailRelease (rollback decision and target)
 *   rollback, rollback*        the deploy machine's remediation rollback
 *   outcome                    ReleaseLease: the execution's Error and Cause
 */
import * as z from 'zod';
import { DeployRequestSchema, RollbackRequestSchema } from './request.ts';

export const OpRefSchema = z.strictObject({
  namespace: z.string(),
  name: z.string(),
  op: z.enum(['install', 'upgrade', 'rollback']),
  revision: z.number().int().min(1),
  owner: z.string(),
});
export type OpRefDoc = z.infer<typeof OpRefSchema>;

/** A poll loop's answer: done, or wait `seconds` (integer, as Wait's SecondsPath needs). */
export const PollSchema = z.strictObject({
  done: z.boolean(),
  seconds: z.number().int().min(1),
  progress: z.string(),
  /** When the loop gives up (first poll + the request's timeout). */
  deadline: z.iso.datetime(),
  /** The gate checker's own small state between polls. */
  gateState: z.record(z.string(), z.unknown()).optional(),
});
export type PollDoc = z.infer<typeof PollSchema>;

export const CaughtSchema = z.looseObject({ Error: z.string(), Cause: z.string().optional() });

export const DeployRequestDocSchema = DeployRequestSchema.extend({ cluster: z.string() });
export const RollbackRequestDocSchema = RollbackRequestSchema.extend({ cluster: z.string() });
export const AnyRequestDocSchema = z.union([DeployRequestDocSchema, RollbackRequestDocSchema]);

export const LeaseDocSchema = z.strictObject({ expiresAt: z.iso.datetime(), tookOver: z.string().optional() });

export const ReleaseSummarySchema = z.strictObject({
  namespace: z.string(),
  name: z.string(),
  revision: z.number().int(),
  status: z.string(),
  description: z.string(),
});
export type ReleaseSummary = z.infer<typeof ReleaseSummarySchema>;

export const UpgradeDocSchema = z.strictObject({
  applied: z.number().int(),
  created: z.number().int(),
  deleted: z.number().int(),
  kept: z.number().int(),
});

export const FailureDocSchema = z.strictObject({
  /** The failed revision (absent when the execution stopped before writing one). */
  revision: z.number().int().optional(),
  status: z.string().optional(),
  description: z.string().optional(),
  /** Roll back now (Choice ShouldRollBack). */
  rollback: z.boolean(),
  /** The last good revision to roll back to. */
  target: z.number().int().optional(),
  /** Why there is (or is not) a rollback, for people. */
  why: z.string(),
});
export type FailureDoc = z.infer<typeof FailureDocSchema>;

export const OutcomeSchema = z.strictObject({ error: z.string(), cause: z.string() });
export type OutcomeDoc = z.infer<typeof OutcomeSchema>;

/** The whole document, every slot optional past the first three (each state checks what it needs). */
export const DocumentSchema = z.looseObject({
  request: AnyRequestDocSchema,
  owner: z.string().min(1),
  lease: LeaseDocSchema.optional(),
  op: OpRefSchema.optional(),
  backup: PollSchema.optional(),
  upgrade: UpgradeDocSchema.optional(),
  gate: PollSchema.optional(),
  migrate: PollSchema.optional(),
  pre: PollSchema.optional(),
  post: PollSchema.optional(),
  release: ReleaseSummarySchema.optional(),
  error: CaughtSchema.optional(),
  failure: FailureDocSchema.optional(),
  rollback: OpRefSchema.optional(),
  rollbackPre: PollSchema.optional(),
  rollbackUpgrade: UpgradeDocSchema.optional(),
  rollbackGate: PollSchema.optional(),
  rollbackPost: PollSchema.optional(),
  rollbackRelease: ReleaseSummarySchema.optional(),
  rollbackError: CaughtSchema.optional(),
  rollbackFailure: FailureDocSchema.optional(),
  failReleaseError: CaughtSchema.optional(),
});
export type Doc = z.infer<typeof DocumentSchema>;
