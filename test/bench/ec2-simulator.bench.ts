/**
 * Benchmark: how many requests per second the EC2 simulator sustains on loopback, with the real SDK as the
 * client, and what the adapter adds per call over the raw SDK.
 *   node test/bench/ec2-simulator.bench.ts [--seconds N] [--workers N] [--concurrency N]
 *
 * The simulator runs in its own process (cmd/ec2-simulator.ts) so its CPU time is measured apart from the
 * clients'; clients run in worker threads, each with its own EC2Client and `concurrency` calls in flight, so the
 * client side can be widened until the server is the bottleneck. CPU is reported as a share of one core:
 * a server near 100 % is saturated; a client near its core count means the client was the limit.
 * Loopback only; bounded by --seconds per phase.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort } from 'node:worker_threads';
import {
  AssignPrivateIpAddressesCommand,
  DescribeNetworkInterfacesCommand,
  EC2Client,
  UnassignPrivateIpAddressesCommand,
} from '@aws-sdk/client-ec2';
import { Pool } from 'undici';

process.env.AWS_ACCESS_KEY_ID = 'AKIDBENCH';
process.env.AWS_SECRET_ACCESS_KEY = 'bench';
process.env.AWS_EC2_METADATA_DISABLED = 'true';

const INSTANCES = 256;
const eniId = (k: number): string => `eni-${(k + 1).toString(16).padStart(8, '0')}`;

interface WorkerJob {
  endpoint: string;
  /** describe-raw: unsigned form POSTs through an undici Pool, to find the server's ceiling without the SDK's cost. */
  phase: 'describe' | 'assign-unassign' | 'describe-raw';
  seconds: number;
  concurrency: number;
  /** ENIs this worker owns (assign/unassign pairs never touch another worker's ENIs). */
  enis: string[];
}

interface WorkerResult {
  requests: number;
  errors: number;
  latenciesMs: number[];
}

async function rawWorker(job: WorkerJob): Promise<WorkerResult> {
  const pool = new Pool(job.endpoint, { connections: job.concurrency });
  const until = performance.now() + job.seconds * 1000;
  const result: WorkerResult = { requests: 0, errors: 0, latenciesMs: [] };
  const lane = async (laneIndex: number): Promise<void> => {
    let k = laneIndex;
    while (performance.now() < until) {
      const body = `Action=DescribeNetworkInterfaces&Version=2016-11-15&NetworkInterfaceId.1=${job.enis[k++ % job.enis.length]}`;
      const started = performance.now();
      const res = await pool.request({ path: '/', method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      await res.body.text();
      if (res.statusCode === 200) result.requests += 1;
      else result.errors += 1;
      result.latenciesMs.push(performance.now() - started);
    }
  };
  await Promise.all(Array.from({ length: job.concurrency }, (_, i) => lane(i)));
  await pool.close();
  return result;
}

async function workerMain(job: WorkerJob): Promise<WorkerResult> {
  if (job.phase === 'describe-raw') return rawWorker(job);
  const client = new EC2Client({ region: 'us-west-2', endpoint: job.endpoint, maxAttempts: 1 });
  const until = performance.now() + job.seconds * 1000;
  const result: WorkerResult = { requests: 0, errors: 0, latenciesMs: [] };
  const lane = async (laneIndex: number): Promise<void> => {
    let k = laneIndex;
    while (performance.now() < until) {
      const eni = job.enis[k++ % job.enis.length]!;
      const started = performance.now();
      try {
        if (job.phase === 'describe') {
          await client.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eni] }));
          result.requests += 1;
        } else {
          const out = await client.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: eni, Ipv4PrefixCount: 1 }));
          await client.send(new UnassignPrivateIpAddressesCommand({ NetworkInterfaceId: eni, Ipv4Prefixes: out.AssignedIpv4Prefixes!.map((p) => p.Ipv4Prefix!) }));
          result.requests += 2;
        }
      } catch {
        result.errors += 1;
      }
      result.latenciesMs.push(performance.now() - started);
    }
  };
  // Lane i starts on ENI i, so in-flight assign/unassign pairs of one worker never share an ENI.
  await Promise.all(Array.from({ length: job.concurrency }, (_, i) => lane(i)));
  client.destroy();
  return result;
}

if (!isMainThread) {
  // Persistent workers: the SDK is imported and warmed once, then each phase is one message, so worker start-up
  // never counts against a phase's time or CPU.
  parentPort!.on('message', (job: WorkerJob | 'exit') => {
    if (job === 'exit') process.exit(0);
    void workerMain(job).then((r) => parentPort!.postMessage(r));
  });
  parentPort!.postMessage('ready');
} else {
  await main();
}

function processCpuSeconds(pid: number): number | undefined {
  try {
    // /proc/<pid>/stat fields 14 and 15: utime and stime in clock ticks (100 per second on Linux).
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function startSimulatorProcess(): Promise<{ endpoint: string; pid: number; stop: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'winprefix-bench-'));
  const world = join(dir, 'world.json');
  await writeFile(
    world,
    JSON.stringify({
      vpcs: [{ id: 'vpc-00000001', cidr: '10.0.0.0/16' }],
      subnets: [{ id: 'subnet-00000001', vpcId: 'vpc-00000001', cidr: '10.0.0.0/16', availabilityZone: 'us-west-2a' }],
      instances: Array.from({ length: INSTANCES }, (_, k) => ({
        id: `i-${(k + 1).toString(16).padStart(8, '0')}`,
        type: 'c5.4xlarge',
        subnetId: 'subnet-00000001',
        privateIp: `10.0.${Math.floor(k / 200)}.${10 + (k % 200)}`,
      })),
    }),
  );
  const entry = fileURLToPath(new URL('../../cmd/ec2-simulator.ts', import.meta.url));
  const child = spawn(process.execPath, [entry, '--world', world, '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const endpoint = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.includes('\n')) resolve(out.trim());
    });
    child.once('exit', (code) => reject(new Error(`simulator exited early with ${code}`)));
  });
  return {
    endpoint,
    pid: child.pid!,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

async function startWorkers(n: number): Promise<Worker[]> {
  return Promise.all(
    Array.from({ length: n }, () => {
      const worker = new Worker(new URL(import.meta.url));
      return new Promise<Worker>((resolve, reject) => {
        worker.once('message', () => resolve(worker));
        worker.once('error', reject);
      });
    }),
  );
}

async function phase(
  endpoint: string,
  serverPid: number,
  pool: Worker[],
  opts: { phase: WorkerJob['phase']; seconds: number; workers: number; concurrency: number },
): Promise<void> {
  const perWorker = Math.floor(INSTANCES / pool.length);
  const serverCpu0 = processCpuSeconds(serverPid);
  const clientCpu0 = process.cpuUsage();
  const started = performance.now();
  const results = await Promise.all(
    Array.from({ length: opts.workers }, (_, w) => {
      const job: WorkerJob = {
        endpoint,
        phase: opts.phase,
        seconds: opts.seconds,
        concurrency: opts.concurrency,
        enis: Array.from({ length: perWorker }, (_, k) => eniId(w * perWorker + k)),
      };
      const worker = pool[w]!;
      return new Promise<WorkerResult>((resolve, reject) => {
        worker.once('message', (m: WorkerResult) => resolve(m));
        worker.once('error', reject);
        worker.postMessage(job);
      });
    }),
  );
  const wallS = (performance.now() - started) / 1000;
  const clientCpu = process.cpuUsage(clientCpu0);
  const serverCpu1 = processCpuSeconds(serverPid);
  const requests = results.reduce((n, r) => n + r.requests, 0);
  const errors = results.reduce((n, r) => n + r.errors, 0);
  const lat = results.flatMap((r) => r.latenciesMs).sort((a, b) => a - b);
  const serverShare = serverCpu0 === undefined || serverCpu1 === undefined ? 'n/a' : `${Math.round(((serverCpu1 - serverCpu0) / wallS) * 100)}%`;
  const clientShare = `${Math.round(((clientCpu.user + clientCpu.system) / 1e6 / wallS) * 100)}%`;
  const unit = opts.phase === 'assign-unassign' ? 'pair' : 'call';
  // CPU per request is robust to a busy machine (rates are not): it says what one core could sustain.
  const serverUsPerReq = serverCpu0 === undefined || serverCpu1 === undefined ? undefined : ((serverCpu1 - serverCpu0) * 1e6) / requests;
  const clientUsPerReq = (clientCpu.user + clientCpu.system) / requests;
  console.log(
    `${opts.phase.padEnd(16)} ${(requests / wallS).toFixed(0).padStart(6)} req/s` +
      (opts.phase === 'assign-unassign' ? ` (${(requests / 2 / wallS).toFixed(0)} pairs/s)` : '') +
      `  errors ${errors}  ${unit} latency p50 ${percentile(lat, 50).toFixed(2)} ms p99 ${percentile(lat, 99).toFixed(2)} ms` +
      `  CPU server ${serverShare} client ${clientShare}` +
      `  CPU/request server ${serverUsPerReq === undefined ? 'n/a' : `${serverUsPerReq.toFixed(0)} us (~${(1e6 / serverUsPerReq).toFixed(0)} req/s per core)`} client ${clientUsPerReq.toFixed(0)} us` +
      `  (${opts.workers} workers x ${opts.concurrency} in flight, ${wallS.toFixed(1)} s)`,
  );
}

/** Sequential calls, one in flight: the adapter's per-call cost over the raw SDK, same process, interleaved. */
async function adapterOverhead(endpoint: string, calls: number): Promise<void> {
  const { createEc2Adapter } = await import('../../pkg/adapters/ec2/sdk-adapter.ts');
  const { TokenBucket } = await import('../../pkg/support/token-bucket.ts');
  // The same client settings the adapter uses, so the difference is the adapter's own work.
  const raw = new EC2Client({
    region: 'us-west-2',
    endpoint,
    maxAttempts: 3,
    retryMode: 'standard',
    requestHandler: { requestTimeout: 30_000, connectionTimeout: 30_000, throwOnRequestTimeout: true },
  });
  // An effectively unlimited bucket, so pacing is not measured as overhead (the default 12/s would dominate).
  const adapter = createEc2Adapter({ region: 'us-west-2', endpoint, rateLimit: new TokenBucket({ ratePerSecond: 1e9, burst: 1e9 }), onCall: () => {} });
  const rawMs: number[] = [];
  const adapterMs: number[] = [];
  let rawCpuUs = 0;
  let adapterCpuUs = 0;
  for (let i = 0; i < 50; i++) {
    await raw.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eniId(0)] }));
    await adapter.describeInterface(eniId(0));
  }
  // Alternating blocks (and alternating which side goes first), so drift in machine load and GC hit both alike;
  // CPU time is the steadier figure.
  const block = 50;
  const runRaw = async (offset: number): Promise<void> => {
    const cpu = process.cpuUsage();
    for (let i = 0; i < block; i++) {
      const t = performance.now();
      await raw.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eniId((offset + i) % INSTANCES)] }));
      rawMs.push(performance.now() - t);
    }
    const d = process.cpuUsage(cpu);
    rawCpuUs += d.user + d.system;
  };
  const runAdapter = async (offset: number): Promise<void> => {
    const cpu = process.cpuUsage();
    for (let i = 0; i < block; i++) {
      const t = performance.now();
      await adapter.describeInterface(eniId((offset + i) % INSTANCES));
      adapterMs.push(performance.now() - t);
    }
    const d = process.cpuUsage(cpu);
    adapterCpuUs += d.user + d.system;
  };
  for (let done = 0, round = 0; done < calls; done += block, round++) {
    if (round % 2 === 0) {
      await runRaw(done);
      await runAdapter(done);
    } else {
      await runAdapter(done);
      await runRaw(done);
    }
  }
  rawMs.sort((a, b) => a - b);
  adapterMs.sort((a, b) => a - b);
  const n = rawMs.length;
  console.log(
    `adapter overhead  DescribeNetworkInterfaces by id, ${n} sequential calls each (client process CPU includes the in-process HTTP stack):\n` +
      `  raw SDK  p50 ${percentile(rawMs, 50).toFixed(3)} ms  CPU ${(rawCpuUs / n).toFixed(0)} us/call\n` +
      `  adapter  p50 ${percentile(adapterMs, 50).toFixed(3)} ms  CPU ${(adapterCpuUs / n).toFixed(0)} us/call\n` +
      `  overhead p50 ${(percentile(adapterMs, 50) - percentile(rawMs, 50)).toFixed(3)} ms  CPU ${((adapterCpuUs - rawCpuUs) / n).toFixed(0)} us/call` +
      ` (token bucket, middleware, classification wrapper, mapping to port types)`,
  );
  raw.destroy();
  adapter.destroy();

  // The adapter's own work without any HTTP, as an upper bound that the noise above cannot hide.
  const { fromSdkEni } = await import('../../pkg/adapters/ec2/sdk-mapping.ts');
  const { classifyEc2Error } = await import('../../pkg/core/ec2/classify.ts');
  const probe = new EC2Client({ region: 'us-west-2', endpoint, maxAttempts: 1 });
  const sdkEni = (await probe.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eniId(0)] }))).NetworkInterfaces![0]!;
  probe.destroy();
  const bucket = new TokenBucket({ ratePerSecond: 1e9, burst: 1e9 });
  const reps = 200_000;
  let t = performance.now();
  for (let i = 0; i < reps; i++) await bucket.take();
  const takeNs = ((performance.now() - t) * 1e6) / reps;
  t = performance.now();
  for (let i = 0; i < reps; i++) fromSdkEni(sdkEni);
  const mapNs = ((performance.now() - t) * 1e6) / reps;
  const sdkError = Object.assign(new Error('x'), { name: 'InsufficientCidrBlocks', Code: 'InsufficientCidrBlocks' });
  t = performance.now();
  for (let i = 0; i < reps; i++) classifyEc2Error(sdkError, 'AssignPrivateIpAddresses');
  const classifyNs = ((performance.now() - t) * 1e6) / reps;
  console.log(`adapter parts, in-process: token take ${takeNs.toFixed(0)} ns, ENI mapping ${mapNs.toFixed(0)} ns, error classification ${classifyNs.toFixed(0)} ns per call`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '3' },
      workers: { type: 'string', default: '2' },
      concurrency: { type: 'string', default: '16' },
      calls: { type: 'string', default: '400' },
    },
  });
  const seconds = Math.min(Number(values.seconds), 30);
  const workers = Number(values.workers);
  const concurrency = Number(values.concurrency);
  const sim = await startSimulatorProcess();
  const pool = await startWorkers(workers);
  const one = pool.slice(0, 1);
  console.log(`EC2 simulator at ${sim.endpoint} (separate process), ${INSTANCES} instances in one /16; Node ${process.version}`);
  try {
    console.log('(warm-up)');
    await phase(sim.endpoint, sim.pid, pool, { phase: 'describe', seconds: 1, workers, concurrency });
    await phase(sim.endpoint, sim.pid, pool, { phase: 'assign-unassign', seconds: 1, workers, concurrency });
    console.log('(measured)');
    await phase(sim.endpoint, sim.pid, one, { phase: 'describe', seconds, workers: 1, concurrency });
    await phase(sim.endpoint, sim.pid, pool, { phase: 'describe', seconds, workers, concurrency });
    await phase(sim.endpoint, sim.pid, one, { phase: 'assign-unassign', seconds, workers: 1, concurrency });
    await phase(sim.endpoint, sim.pid, pool, { phase: 'assign-unassign', seconds, workers, concurrency });
    await phase(sim.endpoint, sim.pid, one, { phase: 'describe-raw', seconds, workers: 1, concurrency });
    await adapterOverhead(sim.endpoint, Number(values.calls));
    const counters = (await (await fetch(`${sim.endpoint}/_admin/counters`)).json()) as Record<string, { calls: number; errors: number }>;
    console.log(`server counters: ${Object.entries(counters).map(([a, c]) => `${a} ${c.calls} (${c.errors} errors)`).join(', ')}`);
  } finally {
    for (const w of pool) w.postMessage('exit');
    await sim.stop();
  }
}
