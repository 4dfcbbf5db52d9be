/**
 * @module
 * The sandbox's workload: Windows pods created and deleted over time at a bounded rate, spread round-robin over
 * the nodes because there is no scheduler. The population climbs to a target and then churns around it, so
 * addresses are handed out, released, cooled down and reused as on a busy cluster.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { createWindowsPod, deletePodNow } from '../../test/harness/cluster-objects.ts';

export interface PodChurnOptions {
  kc: KubeConfig;
  namespace: string;
  nodes: string[];
  /** Pods kept alive at steady state. */
  targetPods: number;
  /** Creates plus deletes per second; bounded so the API server and EC2 simulator stay responsive. */
  opsPerSecond: number;
  /** Add the IP resource request ourselves (when no mutating webhook runs). */
  requestIp: boolean;
  log: (line: string) => void;
}

export interface PodChurnStats {
  created: number;
  deleted: number;
  failed: number;
  live: number;
}

export interface PodChurn {
  stats(): PodChurnStats;
  /** Stops scheduling new operations and waits for the one in flight. Pods are left in place. */
  stop(): Promise<void>;
}

export function startPodChurn(o: PodChurnOptions): PodChurn {
  if (o.nodes.length === 0) throw new Error('the sandbox workload needs at least one node');
  if (!(o.opsPerSecond > 0)) throw new Error(`--rate must be a positive number of pod operations per second, got ${o.opsPerSecond}`);
  const live: string[] = [];
  const stats = { created: 0, deleted: 0, failed: 0 };
  const reportedErrors = new Set<string>();
  let seq = 0;
  let nextNode = 0;
  let inFlight: Promise<void> = Promise.resolve();
  let stopped = false;

  const reportOnce = (what: string, err: unknown) => {
    stats.failed += 1;
    const message = `${what}: ${(err as Error).message ?? String(err)}`.slice(0, 300);
    const key = message.replace(/win-\d+/g, 'win-N');
    if (!reportedErrors.has(key)) {
      reportedErrors.add(key);
      o.log(`[workload] ${message} (further errors like this are counted, not printed)`);
    }
  };

  const step = async () => {
    // Below target: grow. At target: alternate deleting a random pod and creating a new one.
    if (live.length < o.targetPods) {
      seq += 1;
      const name = `win-${seq}`;
      const node = o.nodes[nextNode++ % o.nodes.length]!;
      try {
        await createWindowsPod(o.kc, {
          name,
          namespace: o.namespace,
          nodeName: node,
          requestIp: o.requestIp,
          labels: { app: 'sandbox-workload' },
        });
        live.push(name);
        stats.created += 1;
      } catch (err) {
        reportOnce(`creating pod ${name} on ${node}`, err);
      }
    } else {
      const victim = live.splice(Math.floor(Math.random() * live.length), 1)[0]!;
      try {
        await deletePodNow(o.kc, victim, o.namespace);
        stats.deleted += 1;
      } catch (err) {
        reportOnce(`deleting pod ${victim}`, err);
      }
    }
  };

  let running = false;
  const timer = setInterval(() => {
    // Skip a tick rather than queue up when the API server is slow: the rate is an upper bound.
    if (stopped || running) return;
    running = true;
    inFlight = step().finally(() => {
      running = false;
    });
  }, 1000 / o.opsPerSecond);

  return {
    stats: () => ({ ...stats, live: live.length }),
    async stop() {
      stopped = true;
      clearInterval(timer);
      await inFlight;
    },
  };
}
