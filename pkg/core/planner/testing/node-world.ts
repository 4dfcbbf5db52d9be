/**
 * @module
 * Test support: one managed node as the planner sees it, with no I/O. The node's EC2 side is the
 * simulator's in-process WorldEni (pkg/ec2sim/world-eni.ts), the pod cache is a map the test edits,
 * time is a number the test advances, and every intent the planner returns is held "in flight" until
 * the test answers it (EC2 results, patch answers, the capacity write), in whatever order it likes.
 * This is the applier of pkg/controller, minus the I/O, so planner tests read like node histories.
 */
import { ADDRESSES_PER_PREFIX } from '../../contract.ts';
import { resolveClusterConfig, resolveNodeConfig } from '../../ipam/config.ts';
import { defaultPoolSettings, NodePool } from '../../ipam/pool.ts';
import { WorldEni, type Fault } from '../../../ec2sim/world-eni.ts';
import type { Ec2Request, Ec2Result, EniObservation, NodeIpamConfig, PodAddress, RestoreReport } from '../../ipam/types.ts';
import { parseCidr, parseIPv4 } from '../../net/ipv4.ts';
import type { PodFacts } from '../../decisions/pod-plan.ts';
import { newNodeMemory, type ManagedNodeMemory, type NodeInstance } from '../node-memory.ts';
import { planNodeRun, type NodeRunPlan, type PatchOutcome, type PatchResult, type PlannedPatch } from '../node-run.ts';

/** ConfigMap data: prefix delegation, and secondary-IP mode. */
export const PD: Record<string, string> = { 'enable-windows-ipam': 'true', 'enable-windows-prefix-delegation': 'true' };
export const SEC: Record<string, string> = { 'enable-windows-ipam': 'true' };
export const NODE = { name: 'win-1', uid: 'node-uid-1' };
export const SUBNET_PREFIX_LENGTH = 19;

export function nodeConfig(data: Record<string, string>, slots = 9): NodeIpamConfig {
  return resolveNodeConfig(resolveClusterConfig(data), { instanceType: 'm5.large', slots, prefixCapable: true });
}

export interface WorldOptions {
  data?: Record<string, string>;
  slots?: number;
  /** Aligned /28 blocks the subnet has for prefixes (WorldEni default: 64). */
  prefixBlocks?: number;
  coolDownMs?: number;
  releaseHoldDownMs?: number;
  /**
   * Rebuild the pool (a restart) from an ENI that already holds `prefixes` /28s (10.0.16.0/28,
   * 10.0.16.16/28, ...) and `secondaryIps` IPs (10.0.0.4, ...), and these running annotated pods.
   */
  restore?: { prefixes?: number; secondaryIps?: number; pods?: Array<{ uid: string; annotation: string }> };
  /** The capacity the node already advertises (restart). */
  capacity?: number;
}

export class NodeWorld {
  now = 0;
  readonly eni: WorldEni;
  readonly memory: ManagedNodeMemory;
  data: Record<string, string>;
  readonly slots: number;
  /** The pod cache: what the informer shows for this node. */
  readonly pods = new Map<string, PodFacts>();
  /** Addresses pods on other nodes carry: ip -> "ns/name on node". */
  readonly elsewhere = new Map<number, string>();

  // The inbox: answers waiting for the next run.
  ec2Results: Ec2Result[] = [];
  patchResults: PatchResult[] = [];
  capacityResult: { value: number; ok: boolean } | undefined;
  observation: EniObservation | undefined;
  restored: RestoreReport | undefined;

  /** EC2 requests planned and not yet performed, in order. */
  readonly ec2InFlight: Ec2Request[] = [];
  /** Patches planned and not yet answered, by pod UID. */
  readonly patchesInFlight = new Map<string, PlannedPatch>();
  capacityInFlight: number | undefined;
  /** The capacity the API server holds for the node. */
  advertised: number | undefined;
  readonly plans: NodeRunPlan[] = [];
  #podSeq = 0;

  constructor(o: WorldOptions = {}) {
    this.data = o.data ?? PD;
    this.slots = o.slots ?? 9;
    this.eni = new WorldEni({ slots: this.slots, ...(o.prefixBlocks !== undefined ? { prefixBlocks: o.prefixBlocks } : {}) });
    const config = nodeConfig(this.data, this.slots);
    const settings = {
      ...defaultPoolSettings(this.slots, SUBNET_PREFIX_LENGTH),
      ...(o.coolDownMs !== undefined ? { coolDownMs: o.coolDownMs } : {}),
      ...(o.releaseHoldDownMs !== undefined ? { releaseHoldDownMs: o.releaseHoldDownMs } : {}),
    };
    let pool: NodePool;
    let annotated: string[] = [];
    if (o.restore) {
      for (let i = 0; i < (o.restore.prefixes ?? 0); i++) this.eni.addExternally('prefix');
      for (let i = 0; i < (o.restore.secondaryIps ?? 0); i++) this.eni.addExternally('secondary');
      const pods = o.restore.pods ?? [];
      const running: PodAddress[] = pods.map((p) => ({ podUid: p.uid, annotation: p.annotation }));
      const restored = NodePool.restore(settings, config, this.eni.state, running, this.now);
      pool = restored.pool;
      this.restored = restored.report;
      annotated = running.map((r) => r.podUid);
      for (const p of pods) this.addPod(p.uid, { annotation: p.annotation, hasAnnotations: true });
    } else {
      pool = NodePool.create(settings, config);
    }
    this.advertised = o.capacity;
    this.memory = newNodeMemory(instance(this.slots), pool, JSON.stringify(config), config.mode, { annotated, capacity: o.capacity });
  }

  get config(): NodeIpamConfig {
    return nodeConfig(this.data, this.slots);
  }

  get pool(): NodePool {
    return this.memory.pool;
  }

  advance(ms: number): this {
    this.now += ms;
    return this;
  }

  /** Adds a pod to the cache (bound to this node, requesting an address). */
  addPod(uid?: string, over: Partial<PodFacts> = {}): PodFacts {
    const id = uid ?? `u${++this.#podSeq}`;
    const pod: PodFacts = {
      uid: id,
      namespace: 'default',
      name: over.name ?? `pod-${id}`,
      requestsIp: true,
      terminal: false,
      annotation: undefined,
      createdAt: this.now,
      hasAnnotations: false,
      resourceVersion: '1',
      ...over,
    };
    this.pods.set(id, pod);
    return pod;
  }

  addPods(count: number): PodFacts[] {
    return Array.from({ length: count }, () => this.addPod());
  }

  deletePod(uid: string): void {
    this.pods.delete(uid);
  }

  /** One node run: the inbox goes to the planner, which returns intents; they are now in flight. */
  run(): NodeRunPlan {
    const plan = planNodeRun(this.memory, {
      now: this.now,
      node: NODE,
      pods: [...this.pods.values()],
      config: this.config,
      ec2Results: this.ec2Results,
      patchResults: this.patchResults,
      ...(this.capacityResult ? { capacityResult: this.capacityResult } : {}),
      ...(this.observation ? { observation: this.observation } : {}),
      ...(this.restored ? { restored: this.restored } : {}),
      heldElsewhere: (ip) => this.elsewhere.get(ip),
    });
    this.ec2Results = [];
    this.patchResults = [];
    this.capacityResult = undefined;
    this.observation = undefined;
    this.restored = undefined;
    this.ec2InFlight.push(...plan.ec2);
    for (const p of plan.patches) this.patchesInFlight.set(p.pod.uid, p);
    if (plan.capacity !== undefined) this.capacityInFlight = plan.capacity;
    this.plans.push(plan);
    return plan;
  }

  /** EC2 carries out the requests in flight (all, or those `which` picks); their results go to the inbox. */
  performEc2(fault?: (r: Ec2Request) => Fault | undefined, which: (r: Ec2Request) => boolean = () => true): Ec2Result[] {
    const done: Ec2Result[] = [];
    for (const r of [...this.ec2InFlight]) {
      if (!which(r)) continue;
      this.ec2InFlight.splice(this.ec2InFlight.indexOf(r), 1);
      done.push(this.eni.perform(r, fault?.(r)));
    }
    this.ec2Results.push(...done);
    return done;
  }

  /** Puts a hand-made EC2 answer for a request in flight into the inbox. */
  answerEc2(result: Ec2Result): void {
    const i = this.ec2InFlight.indexOf(result.request);
    if (i < 0) throw new Error(`request ${result.request.id} is not in flight`);
    this.ec2InFlight.splice(i, 1);
    this.ec2Results.push(result);
  }

  /**
   * The API server answers the patches in flight (all, or those listed). A `patched` answer shows
   * the annotation in the cache unless `cacheLags`; `refused`, `gone`, `failed` and `fenced` write nothing.
   */
  answerPatches(outcome: PatchOutcome | ((p: PlannedPatch) => PatchOutcome), o: { uids?: string[]; cacheLags?: boolean } = {}): PlannedPatch[] {
    const answered: PlannedPatch[] = [];
    for (const [uid, p] of [...this.patchesInFlight]) {
      if (o.uids && !o.uids.includes(uid)) continue;
      this.patchesInFlight.delete(uid);
      const out = typeof outcome === 'function' ? outcome(p) : outcome;
      if (out === 'patched' && !o.cacheLags) this.showAnnotation(uid, p.annotation);
      this.patchResults.push({ podUid: uid, outcome: out, ...(out === 'failed' ? { message: 'context deadline exceeded' } : {}) });
      answered.push(p);
    }
    return answered;
  }

  /** The cache shows the annotation on the pod (a patch landed, or someone else wrote it). */
  showAnnotation(uid: string, annotation: string): void {
    const pod = this.pods.get(uid);
    if (pod) this.pods.set(uid, { ...pod, annotation, hasAnnotations: true, resourceVersion: String(Number(pod.resourceVersion ?? '1') + 1) });
  }

  answerCapacity(ok: boolean): void {
    if (this.capacityInFlight === undefined) throw new Error('no capacity write in flight');
    if (ok) this.advertised = this.capacityInFlight;
    this.capacityResult = { value: this.capacityInFlight, ok };
    this.capacityInFlight = undefined;
  }

  /** The periodic read of the ENI, sent now (at the pool's current epoch), as EC2 shows it. */
  read(eni = this.eni.state): EniObservation {
    this.observation = { eni, epoch: this.pool.mutationEpoch };
    return this.observation;
  }

  /**
   * Runs, performs EC2 work and answers patches and capacity (all successfully) until a run plans
   * nothing new; returns the plans of those runs.
   */
  settle(maxRuns = 50): NodeRunPlan[] {
    const plans: NodeRunPlan[] = [];
    for (let i = 0; i < maxRuns; i++) {
      const plan = this.run();
      plans.push(plan);
      const busy = this.ec2InFlight.length > 0 || this.patchesInFlight.size > 0 || this.capacityInFlight !== undefined;
      if (!busy) return plans;
      this.performEc2();
      this.answerPatches('patched');
      if (this.capacityInFlight !== undefined) this.answerCapacity(true);
    }
    throw new Error(`node did not settle in ${maxRuns} runs`);
  }

  /** Whether `ip` lies in one of the WorldEni's prefixes or is one of its secondary IPs now. */
  onEni(ip: string): boolean {
    if (this.eni.secondaryIps.has(ip)) return true;
    const n = parseIPv4(ip);
    for (const cidr of this.eni.prefixes) {
      const { base } = parseCidr(cidr);
      if (n >= base && n < base + ADDRESSES_PER_PREFIX) return true;
    }
    return false;
  }

  /** Every event of every run so far, in order. */
  events(): NodeRunPlan['events'] {
    return this.plans.flatMap((p) => p.events);
  }
}

export function instance(slots: number): NodeInstance {
  return {
    instanceId: 'i-0123456789abcdef0',
    instanceType: 'm5.large',
    eniId: 'eni-0123456789abcdef0',
    subnetId: 'subnet-0a1b2c3d',
    subnetPrefixLength: SUBNET_PREFIX_LENGTH,
    shape: { instanceType: 'm5.large', slots, prefixCapable: true },
  };
}

/** The events of `plan` with `reason`, as "Kind/name" labels (pod name or node name). */
export function eventsWith(plan: Pick<NodeRunPlan, 'events'>, reason: string): string[] {
  return plan.events.filter((e) => e.note.reason === reason).map((e) => `${e.regarding.kind}/${e.regarding.name}`);
}

/** A node with its warm prefix created and its capacity advertised, and nothing in flight. */
export function readyNode(o: WorldOptions = {}): NodeWorld {
  const w = new NodeWorld(o);
  w.settle();
  return w;
}

/** The addresses of some patches, in order. */
export const ips = (patches: ReadonlyArray<{ ip: string }>): string[] => patches.map((p) => p.ip);

export const unique = (xs: readonly string[]): boolean => new Set(xs).size === xs.length;

/** EC2 requests as short labels: "assign-prefixes:2", "resync:contradiction", "unassign-prefixes". */
export const kinds = (requests: readonly Ec2Request[]): string[] =>
  requests.map((r) => (r.kind === 'resync' ? `resync:${r.trigger}` : r.kind === 'assign-prefixes' || r.kind === 'assign-secondary-ips' ? `${r.kind}:${r.count}` : r.kind));
