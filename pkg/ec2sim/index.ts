/**
 * @module
 * The EC2 simulator's public surface: start a server on loopback, build or load worlds, inject faults.
 * See docs/ec2-simulator.md.
 */
export { startEc2Simulator, type Ec2Simulator, type Ec2SimulatorOptions } from './server.ts';
export { World, type WorldOptions, type NetworkInterfaceView, type InstanceView, type SubnetView, type Ownership } from './world.ts';
export type { WorldSpec, InstanceSpec, SubnetSpec, VpcSpec, NetworkInterfaceSpec, InstanceTypeSpec, CidrReservationSpec } from './world-spec.ts';
export { loadWorldFile, parseWorldText, validateWorldSpec, validateInstanceSpec } from './world-file.ts';
export { Faults, FaultError, validateFaults, type FaultConfig } from './faults.ts';
export { Counters, type ActionCount } from './counters.ts';
export { SimError, WorldError } from './sim-error.ts';
