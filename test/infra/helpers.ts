import { App } from 'aws-cdk-lib';
import { buildHelmstepApp } from '../../lib/app.ts';
import type { HelmstepStack } from '../../lib/helmstep-stack.ts';

/**
 * An App for assertions: no bundling, and assets referenced in place instead of copied
 * (the kubectl layer is a 37 MB zip; every App would otherwise copy it to a new temp dir).
 */
export function testApp(context: Record<string, unknown> = {}): App {
  return new App({
    context: { 'aws:cdk:bundling-stacks': [], 'aws:cdk:disable-asset-staging': true, ...context },
  });
}

/** The app exactly as `bin/helmstep.ts` builds it (cdk-nag plugin included), from context. */
export function helmstepApp(context: Record<string, unknown> = { clusterName: 'prod-eu' }): {
  app: App;
  stack: HelmstepStack;
} {
  const app = testApp(context);
  return { app, stack: buildHelmstepApp(app) };
}

/** Runs `fn` and returns what it threw (fails the test if it did not throw). */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw, nothing was thrown');
}
