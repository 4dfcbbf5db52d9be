/**
 * @module
 * Per-instance EC2 reads turned into batched ones, for commands that look at many nodes at once: code written
 * for one node (`describe node`'s gather, which asks for one instance's ENIs) runs unchanged for 200 nodes,
 * and EC2 sees one DescribeNetworkInterfaces per 200 instances instead of 200 calls. Instances asked for in
 * the same turn of the event loop, or announced beforehand with {@link BatchedReads.expect}, share a call.
 */
import type { NetworkInterface } from '../../pkg/core/ec2/port.ts';
import type { Ec2Reader, InstanceState } from './ec2-reader.ts';

export interface BatchedReads extends Ec2Reader {
  /** Starts the batched reads for these instances now, before anyone asks for one of them. */
  expect(instanceIds: readonly string[]): void;
}

/** Collects keys for one turn of the event loop, then loads them all with one `load`. */
function batcher<V>(load: (keys: string[]) => Promise<Map<string, V>>): { get(key: string): Promise<V | undefined>; flushWith(keys: readonly string[]): void } {
  const settled = new Map<string, Promise<V | undefined>>();
  let queued: Map<string, { resolve(v: V | undefined): void; reject(e: unknown): void }> | undefined;
  const flush = () => {
    const batch = queued;
    queued = undefined;
    if (!batch || batch.size === 0) return;
    load([...batch.keys()]).then(
      (values) => {
        for (const [key, waiter] of batch) waiter.resolve(values.get(key));
      },
      (err: unknown) => {
        for (const waiter of batch.values()) waiter.reject(err);
      },
    );
  };
  const enqueue = (key: string): Promise<V | undefined> => {
    const known = settled.get(key);
    if (known) return known;
    if (!queued) {
      queued = new Map();
      setImmediate(flush);
    }
    const batch = queued;
    const p = new Promise<V | undefined>((resolve, reject) => batch.set(key, { resolve, reject }));
    p.catch(() => {});
    settled.set(key, p);
    return p;
  };
  return {
    get: enqueue,
    flushWith(keys) {
      for (const key of keys) enqueue(key);
      flush();
    },
  };
}

export function batchedReads(reader: Ec2Reader): BatchedReads {
  const interfaces = batcher<NetworkInterface[]>((ids) => reader.describeInterfacesOfInstances(ids));
  const states = batcher<InstanceState>((ids) => reader.describeInstanceStates(ids));
  return {
    ...reader,
    describeInstanceInterfaces: async (instanceId) => (await interfaces.get(instanceId)) ?? [],
    describeInstanceState: (instanceId) => states.get(instanceId),
    expect: (instanceIds) => interfaces.flushWith(instanceIds),
  };
}
