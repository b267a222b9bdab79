import { inject } from 'vitest';
import { renderRelease } from '../../../src/chart/render.ts';
import type { ReleaseRef } from '../../../src/release/errors.ts';
import { connect } from '../../../src/store/kube.ts';
import { webappChart } from '../../harness/cluster.ts';

export function store() {
  return connect({ kubeconfig: inject('kubeconfig') }).store;
}

/** Renders the fixture chart with the real helm 4 engine, as helmstep's Render step does. */
export function render(ref: ReleaseRef, set: readonly string[] = []) {
  return renderRelease({ ref, chart: webappChart, set, helm: inject('helm4'), kubeconfig: inject('kubeconfig') });
}
