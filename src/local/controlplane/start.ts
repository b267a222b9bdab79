import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { progress } from '../cache.ts';
import { freePort } from '../daemon.ts';
import { ensureControlPlaneBinaries, type ControlPlaneBinaries } from './binaries.ts';

/** The stage file that tells kwok how fake pods behave (see its header for the failure annotations). */
export const KWOK_CONFIG = fileURLToPath(new URL('./kwok.yaml', import.meta.url));
/** Put this annotation on a pod template to stage a failure: `fail` or `crashloop`. */
export const POD_BEHAVIOUR_ANNOTATION = 'kwok.helmstep.dev/behaviour';

export interface ControlPlane {
  /** Admin kubeconfig (client certificate in group system:masters), self-contained. */
  readonly kubeconfig: string;
  readonly server: string;
  readonly dir: string;
  readonly pids: Readonly<Record<string, number>>;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Working folder: PKI, kubeconfigs, etcd data and process logs. */
  readonly dir: string;
  /** How many kwok nodes to register. @default 2 */
  readonly nodes?: number;
  /** Keep the processes when this Node.js process exits (for `npm run cluster:up`). @default false */
  readonly detached?: boolean;
}

function kubeconfigYaml(server: string, pki: string, user: string): string {
  const b64 = (f: string) => readFileSync(join(pki, f)).toString('base64');
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: helmstep-local',
    '  cluster:',
    `    server: ${server}`,
    `    certificate-authority-data: ${b64('ca.crt')}`,
    'users:',
    `- name: ${user}`,
    '  user:',
    `    client-certificate-data: ${b64(`${user}.crt`)}`,
    `    client-key-data: ${b64(`${user}.key`)}`,
    'contexts:',
    '- name: helmstep-local',
    '  context:',
    '    cluster: helmstep-local',
    `    user: ${user}`,
    'current-context: helmstep-local',
    '',
  ].join('\n');
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} failed: ${err}`))));
  });
}

function get(url: string, pki: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        ca: readFileSync(join(pki, 'ca.crt')),
        cert: readFileSync(join(pki, 'admin.crt')),
        key: readFileSync(join(pki, 'admin.key')),
        timeout: 2000,
      },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

async function waitFor(what: string, deadlineMs: number, check: () => Promise<boolean>, logs: () => string): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${deadlineMs / 1000} s waiting for ${what}\n${logs()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function tail(file: string, lines = 15): string {
  try {
    return `--- last lines of ${file}:\n${readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n')}`;
  } catch {
    return '';
  }
}

/** Kills each process by its PID (SIGTERM, then SIGKILL after 5 s), newest first. */
export async function stopPids(pids: Readonly<Record<string, number>>): Promise<void> {
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  for (const pid of Object.values(pids).reverse()) {
    if (!alive(pid)) continue;
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      continue;
    }
    const deadline = Date.now() + 5000;
    while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  }
}

/**
 * Starts etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok on 127.0.0.1,
 * registers kwok nodes and waits until the cluster can run a Deployment: API ready, nodes
 * Ready, and the `default` ServiceAccount created by the controller manager.
 */
export async function startControlPlane(opts: StartOptions): Promise<ControlPlane> {
  const started = Date.now();
  const bin: ControlPlaneBinaries = await ensureControlPlaneBinaries();
  const { dir } = opts;
  const pki = join(dir, 'pki');
  const logs = join(dir, 'logs');
  mkdirSync(logs, { recursive: true });
  await run(bin.certgen, [pki]);

  const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const server = `https://127.0.0.1:${apiPort}`;
  for (const user of ['admin', 'controller-manager', 'scheduler', 'kwok']) {
    writeFileSync(join(dir, `${user}.kubeconfig`), kubeconfigYaml(server, pki, user), { mode: 0o600 });
  }

  const children: ChildProcess[] = [];
  const pids: Record<string, number> = {};
  const launch = (name: string, cmd: string, args: string[]) => {
    const fd = openSync(join(logs, `${name}.log`), 'a');
    const child = spawn(cmd, args, { stdio: ['ignore', fd, fd], detached: opts.detached ?? false });
    closeSync(fd);
    if (opts.detached) child.unref();
    children.push(child);
    if (child.pid === undefined) throw new Error(`could not start ${name} (${cmd})`);
    pids[name] = child.pid;
  };
  const stop = () => stopPids(pids);
  // Tests must never leave a control plane behind, whatever way the runner ends.
  const onExit = () => {
    for (const pid of Object.values(pids)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  if (!opts.detached) process.once('exit', onExit);

  try {
    launch('etcd', bin.etcd, [
      '--name=default',
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${etcdPort}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
      `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-cluster=default=http://127.0.0.1:${peerPort}`,
      '--unsafe-no-fsync', // a throwaway test store: durability costs seconds per run
      '--log-level=warn',
    ]);
    launch('kube-apiserver', bin.kubeApiserver, [
      `--etcd-servers=http://127.0.0.1:${etcdPort}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${apiPort}`,
      `--tls-cert-file=${join(pki, 'apiserver.crt')}`,
      `--tls-private-key-file=${join(pki, 'apiserver.key')}`,
      `--client-ca-file=${join(pki, 'ca.crt')}`,
      `--kubelet-client-certificate=${join(pki, 'apiserver-kubelet-client.crt')}`,
      `--kubelet-client-key=${join(pki, 'apiserver-kubelet-client.key')}`,
      `--service-account-key-file=${join(pki, 'sa.pub')}`,
      `--service-account-signing-key-file=${join(pki, 'sa.key')}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      '--service-cluster-ip-range=10.96.0.0/16',
      '--authorization-mode=Node,RBAC',
      '--allow-privileged=true',
      // The loopback address is not a valid Endpoints IP; nothing in-cluster calls the API.
      '--endpoint-reconciler-type=none',
      '--enable-priority-and-fairness=false',
      '--profiling=false',
    ]);
    await waitFor(
      'kube-apiserver /readyz',
      60_000,
      async () => (await get(`${server}/readyz`, pki)).body === 'ok',
      () => tail(join(logs, 'kube-apiserver.log')) + tail(join(logs, 'etcd.log')),
    );
    launch('kube-controller-manager', bin.kubeControllerManager, [
      `--kubeconfig=${join(dir, 'controller-manager.kubeconfig')}`,
      '--bind-address=127.0.0.1',
      '--secure-port=0',
      '--leader-elect=false',
      `--service-account-private-key-file=${join(pki, 'sa.key')}`,
      `--root-ca-file=${join(pki, 'ca.crt')}`,
      `--cluster-signing-cert-file=${join(pki, 'ca.crt')}`,
      `--cluster-signing-key-file=${join(pki, 'ca.key')}`,
      '--use-service-account-credentials=true',
      '--controllers=*',
    ]);
    launch('kube-scheduler', bin.kubeScheduler, [
      `--kubeconfig=${join(dir, 'scheduler.kubeconfig')}`,
      '--bind-address=127.0.0.1',
      '--secure-port=0',
      '--leader-elect=false',
    ]);
    launch('kwok', bin.kwok, [`--kubeconfig=${join(dir, 'kwok.kubeconfig')}`, `--config=${KWOK_CONFIG}`]);

    const kc = new KubeConfig();
    kc.loadFromFile(join(dir, 'admin.kubeconfig'));
    const core = kc.makeApiClient(CoreV1Api);
    const nodeNames = Array.from({ length: opts.nodes ?? 2 }, (_, i) => `kwok-node-${i}`);
    for (const name of nodeNames) {
      await core.createNode({
        body: {
          apiVersion: 'v1',
          kind: 'Node',
          metadata: {
            name,
            annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
            labels: { type: 'kwok', 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64' },
          },
          status: {
            allocatable: { cpu: '32', memory: '256Gi', pods: '110' },
            capacity: { cpu: '32', memory: '256Gi', pods: '110' },
          },
        },
      });
    }
    await waitFor(
      'kwok nodes to become Ready',
      60_000,
      async () => {
        const nodes = await core.listNode();
        const ready = nodes.items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
        return ready.length === nodeNames.length;
      },
      () => tail(join(logs, 'kwok.log')),
    );
    await waitFor(
      'the controller manager to create the default ServiceAccount',
      60_000,
      async () => {
        await core.readNamespacedServiceAccount({ name: 'default', namespace: 'default' });
        return true;
      },
      () => tail(join(logs, 'kube-controller-manager.log')),
    );
    progress(`control plane ready at ${server} in ${((Date.now() - started) / 1000).toFixed(1)} s (logs: ${logs})`);
    return {
      kubeconfig: join(dir, 'admin.kubeconfig'),
      server,
      dir,
      pids,
      stop: async () => {
        await stop();
        process.removeListener('exit', onExit);
      },
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
