/**
 * @module
 * The EC2 simulator as a server: `node dist/ec2-simulator.js --listen 127.0.0.1:PORT --world FILE`.
 * Prints the endpoint URL alone on stdout (so scripts can read it) and diagnostics on stderr; runs until
 * SIGINT/SIGTERM. See docs/ec2-simulator.md.
 */
import './require-runtime.ts';
import { parseArgs } from 'node:util';
import { validateFaults } from '../pkg/ec2sim/faults.ts';
import { startEc2Simulator } from '../pkg/ec2sim/server.ts';
import { loadWorldFile } from '../pkg/ec2sim/world-file.ts';

const USAGE = `usage: ec2-simulator --world FILE [--listen HOST:PORT] [--faults JSON]
  --world FILE        world file, JSON or YAML (see docs/ec2-simulator.md and examples/worlds/)
  --listen HOST:PORT  default 127.0.0.1:0 (a free port); the endpoint URL is printed on stdout
  --faults JSON       initial fault injection, e.g. '{"throttleFraction":0.1,"latencyMs":20}'`;

function fail(message: string): never {
  console.error(`ec2-simulator: ${message}`);
  process.exit(2);
}

function parseListen(text: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(text);
  if (!m || Number(m[2]) > 65535) fail(`--listen "${text}" is not HOST:PORT (e.g. 127.0.0.1:4566; port 0 picks a free one)`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        world: { type: 'string' },
        listen: { type: 'string', default: '127.0.0.1:0' },
        faults: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err) {
    fail(`${(err as Error).message}\n${USAGE}`);
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (!values.world) fail(`--world is required\n${USAGE}`);
  const { host, port } = parseListen(values.listen);
  if (!/^(127\.|localhost$|::1$)/.test(host)) console.error(`ec2-simulator: warning: listening on ${host}, which is not loopback`);
  let world;
  try {
    world = await loadWorldFile(values.world);
  } catch (err) {
    fail((err as Error).message);
  }
  let faults;
  if (values.faults) {
    try {
      faults = validateFaults(JSON.parse(values.faults));
    } catch (err) {
      fail(`--faults: ${(err as Error).message}`);
    }
  }
  let sim;
  try {
    sim = await startEc2Simulator({ world, host, port, faults });
  } catch (err) {
    fail(`cannot start on ${values.listen} with world ${values.world}: ${(err as Error).message}`);
  }
  console.log(sim.endpoint);
  console.error(
    `ec2-simulator: serving ${sim.world.instances().length} instances in ${sim.world.subnets().length} subnets (region ${sim.world.region}) ` +
      `at ${sim.endpoint}; admin API at ${sim.endpoint}/_admin/{faults,counters,instances,world}`,
  );
  const stop = (signal: string): void => {
    console.error(`ec2-simulator: ${signal}, stopping`);
    void sim.close().then(() => process.exit(0));
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

await main();
