/**
 * The EC2 port contract (port-contract.ts) against every implementation that claims to be EC2: the SDK
 * adapter talking to the simulator over HTTP, and the simulator's World in-process; and the pool-request
 * contract against the controller's performEc2Request over each, and the in-process WorldEni that the
 * pool and planner tests and `kubectl winprefix simulate` use.
 */
import './fixtures.ts';
import { createEc2Adapter } from '../../pkg/adapters/ec2/sdk-adapter.ts';
import { performEc2Request } from '../../pkg/controller/ec2-work.ts';
import { startEc2Simulator } from '../../pkg/ec2sim/server.ts';
import { World } from '../../pkg/ec2sim/world.ts';
import { worldEc2Port } from '../../pkg/ec2sim/world-port.ts';
import { WorldEni } from '../../pkg/ec2sim/world-eni.ts';
import { TokenBucket } from '../../pkg/support/token-bucket.ts';
import { contractWorld, ec2PortContract, ENI, poolRequestContract, type PortSubject } from './port-contract.ts';

const sdkAgainstSimulator: PortSubject = {
  name: 'SDK adapter against the simulator over HTTP',
  async start(world) {
    const sim = await startEc2Simulator({ world });
    const adapter = createEc2Adapter({
      region: 'us-west-2',
      endpoint: sim.endpoint,
      rateLimit: new TokenBucket({ ratePerSecond: 1e6, burst: 1e6 }),
      // The bounded wait for visibility, with its sleeps skipped: the lag test needs only its outcome.
      visibilityWait: { initialDelayMs: 1, maxTotalSleepMs: 4 },
      clock: { monotonic: () => performance.now(), sleep: async () => {} },
    });
    return {
      port: adapter,
      calls: (action) => sim.counters.snapshot()[action]?.calls ?? 0,
      lagVisibility: (ms) => sim.faults.set({ visibilityDelayMs: ms }),
      close: async () => {
        adapter.destroy();
        await sim.close();
      },
    };
  },
};

const inProcess: PortSubject = {
  name: 'the simulator\'s World in-process',
  neverLags: 'an in-process World shows an assignment to the next describe: there is no lag to wait out',
  async start(world) {
    return { port: worldEc2Port(new World(world, { now: () => 0 })), close: async () => {} };
  },
};

ec2PortContract(sdkAgainstSimulator);
ec2PortContract(inProcess);

for (const subject of [sdkAgainstSimulator, inProcess]) {
  poolRequestContract({
    name: `performEc2Request over ${subject.name}`,
    async start() {
      const ec2 = await subject.start(contractWorld({ crowded: false }));
      return { perform: (request) => performEc2Request(ec2.port, ENI, request), close: () => ec2.close() };
    },
  });
}

poolRequestContract({
  name: 'the in-process WorldEni',
  async start() {
    const eni = new WorldEni({ slots: 9 });
    return { perform: async (request) => eni.perform(request), close: async () => {} };
  },
});
