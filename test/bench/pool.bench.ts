/**
 * Benchmark: time per assign + release pair on one node's pool (pure code, no EC2).
 *   node test/bench/pool.bench.ts [--pairs N]
 *
 * A c5.xlarge-sized pool (14 slots) in prefix mode holds `--resident` running pods, then one pod
 * at a time arrives and leaves. The clock steps past the cool-down each pair, so the pool stays
 * in a steady state. Reported: the pair alone, and the pair plus the plan() call the controller
 * makes after each change (any EC2 work it asks for is done by the in-memory test ENI and
 * included in the time). Also the same in secondary mode. Bounded by --pairs.
 */
import { parseArgs } from 'node:util';
import { resolveClusterConfig, resolveNodeConfig } from '../../pkg/core/ipam/config.ts';
import { defaultPoolSettings, NodePool } from '../../pkg/core/ipam/pool.ts';
import { fillPool } from '../../pkg/core/ipam/testing/settle.ts';
import { WorldEni } from '../../pkg/ec2sim/world-eni.ts';

const { values } = parseArgs({ options: { pairs: { type: 'string', default: '200000' }, resident: { type: 'string', default: '100' } } });
const PAIRS = Number(values.pairs);
const RESIDENT = Number(values.resident);
const SLOTS = 14;

function prepared(mode: 'prefix' | 'secondary'): { pool: NodePool; eni: WorldEni; now: number } {
  const data = { 'enable-windows-ipam': 'true', 'enable-windows-prefix-delegation': String(mode === 'prefix') };
  const config = resolveNodeConfig(resolveClusterConfig(data), { instanceType: 'c5.xlarge', slots: SLOTS, prefixCapable: true });
  const pool = NodePool.create(defaultPoolSettings(SLOTS, 19), config);
  const eni = new WorldEni({ slots: SLOTS });
  const now = fillPool(pool, eni, Math.min(RESIDENT, config.capacity - 4), 0, 'resident');
  return { pool, eni, now };
}

function measure(mode: 'prefix' | 'secondary', withPlan: boolean): { ns: number; cpuNs: number; ec2Calls: number } {
  const { pool, eni, now: start } = prepared(mode);
  const callsBefore = eni.log.length;
  let now = start;
  const step = 30_001;
  // Warm-up so the JIT has settled before timing.
  for (let i = 0; i < 10_000; i++) {
    now += step;
    pool.assign('w', now);
    pool.release('w', now);
  }
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < PAIRS; i++) {
    now += step;
    const uid = `p${i}`;
    const r = pool.assign(uid, now);
    if (!r.ok) throw new Error(`pair ${i}: ${r.message}`);
    pool.release(uid, now);
    if (withPlan) for (const q of pool.plan(now)) pool.complete(eni.perform(q), now);
  }
  const elapsed = Number(process.hrtime.bigint() - t0);
  const cpu = process.cpuUsage(cpu0);
  return { ns: elapsed / PAIRS, cpuNs: ((cpu.user + cpu.system) * 1000) / PAIRS, ec2Calls: eni.log.length - callsBefore };
}

const rows = [
  ['prefix', false],
  ['prefix', true],
  ['secondary', false],
  ['secondary', true],
] as const;
console.log(`pool.bench: ${PAIRS} assign+release pairs, ${SLOTS} slots, up to ${RESIDENT} resident pods, node ${process.version}`);
for (const [mode, withPlan] of rows) {
  const { ns, cpuNs, ec2Calls } = measure(mode, withPlan);
  const what = withPlan ? 'assign+release+plan' : 'assign+release     ';
  const calls = withPlan ? `, ${ec2Calls} EC2 requests served by the in-process WorldEni` : '';
  console.log(`${mode.padEnd(9)} ${what}  ${ns.toFixed(0).padStart(7)} ns/op wall, ${cpuNs.toFixed(0).padStart(7)} ns/op CPU  (${(1e9 / ns / 1000).toFixed(0)}k pairs/s${calls})`);
}
