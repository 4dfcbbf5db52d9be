import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { WorldError } from './sim-error.ts';
import { World } from './world.ts';
import { loadWorldFile, parseWorldText } from './world-file.ts';

const GOOD = `
vpcs: [{ id: vpc-00000001, cidr: 10.0.0.0/16 }]
subnets:
  - { id: subnet-00000001, vpcId: vpc-00000001, cidr: 10.0.1.0/24, availabilityZone: us-west-2a,
      reservations: [{ cidr: 10.0.1.128/28, type: prefix }] }
instances:
  - { id: i-00000001, type: m5.large, subnetId: subnet-00000001, privateIp: 10.0.1.10 }
`;

function rejects(text: string, pattern: RegExp): void {
  assert.throws(() => parseWorldText(text, 'w.yaml'), (e: unknown) => e instanceof WorldError && e.code === 'WINPREFIX_SIM_BAD_WORLD' && pattern.test(e.message));
}

describe('world files', () => {
  test('YAML and JSON give the same world', () => {
    const fromYaml = parseWorldText(GOOD);
    const fromJson = parseWorldText(JSON.stringify(fromYaml));
    assert.deepEqual(fromJson, fromYaml);
    assert.equal(fromYaml.subnets[0]!.reservations![0]!.type, 'prefix');
    assert.equal(new World(fromYaml).networkInterface('eni-00000001').primaryPrivateIp, '10.0.1.10');
  });

  test('errors name the file, the field path and the bad value', () => {
    rejects(GOOD.replace('privateIp: 10.0.1.10', 'privateIp: 10.0.1'), /^w\.yaml: instances\[0\]\.privateIp: "10\.0\.1" is not an IPv4 address/);
    rejects(GOOD.replace('type: prefix', 'type: both'), /subnets\[0\]\.reservations\[0\]\.type: "both" must be one of prefix, explicit/);
    rejects(GOOD.replace('id: i-00000001', 'id: node-1'), /instances\[0\]\.id: "node-1" is malformed; expected something like i-0123456789abcdef0/);
    rejects(GOOD.replace('cidr: 10.0.1.0/24', 'cidr: 10.0.1.5/24'), /subnets\[0\]\.cidr: .*not aligned/);
    rejects(GOOD.replace('privateIp: 10.0.1.10', 'privateIp: 10.0.1.10, colour: red'), /instances\[0\]\.colour: unknown field/);
    rejects(GOOD.replace(/vpcs:.*\n/, ''), /vpcs: undefined must be a list/);
    rejects('vpcs: [', /neither valid JSON nor valid YAML/);
  });

  test('custom instance types are validated', () => {
    const t = `${GOOD}instanceTypes:\n  x9.large: { ipv4PerInterface: 0, interfaces: 2, hypervisor: nitro }\n`;
    rejects(t, /instanceTypes\.x9\.large\.ipv4PerInterface: 0 must be an integer >= 1/);
    // YAML's "instanceTypes:" with nothing under it is null: a WorldError naming the field, not a TypeError.
    rejects(`${GOOD}instanceTypes:\n`, /instanceTypes: null must be an object/);
  });

  for (const name of ['sandbox', 'fragmented', 'reserved']) {
    test(`examples/worlds/${name}.yaml loads and builds`, async () => {
      const path = fileURLToPath(new URL(`../../examples/worlds/${name}.yaml`, import.meta.url));
      const w = new World(await loadWorldFile(path));
      assert.ok(w.instances().length >= 2);
    });
  }

  test('the fragmented example has free addresses but no free /28', async () => {
    const path = fileURLToPath(new URL('../../examples/worlds/fragmented.yaml', import.meta.url));
    const w = new World(await loadWorldFile(path));
    assert.ok(w.subnet('subnet-0f000001').availableIpAddressCount > 16);
    assert.throws(() => w.assign('eni-0f000002', { prefixCount: 1 }), { code: 'InsufficientCidrBlocks' });
    assert.equal(w.assign('eni-0f000002', { secondaryCount: 3 }).secondaryIps.length, 3);
    // The mixed node holds both kinds on one ENI.
    const mixed = w.networkInterface('eni-0f000001');
    assert.deepEqual([mixed.secondaryIps.length, mixed.prefixes], [2, ['10.1.0.96/28']]);
  });

  test('the reserved example hands out prefixes from its prefix reservation first', async () => {
    const path = fileURLToPath(new URL('../../examples/worlds/reserved.yaml', import.meta.url));
    const w = new World(await loadWorldFile(path));
    const { prefixes } = w.assign('eni-0c000002', { prefixCount: 7 });
    // The /25 holds 8 blocks; the last (.240) holds the subnet's reserved last address, so 7 qualify.
    assert.deepEqual(prefixes, ['10.2.0.128/28', '10.2.0.144/28', '10.2.0.160/28', '10.2.0.176/28', '10.2.0.192/28', '10.2.0.208/28', '10.2.0.224/28']);
    const next = w.assign('eni-0c000002', { prefixCount: 1 }).prefixes[0]!;
    assert.notEqual(next, '10.2.0.96/28', 'took the explicit reservation');
  });

  test('a missing file is named', async () => {
    await assert.rejects(loadWorldFile('/nonexistent/world.yaml'), (e: unknown) => e instanceof WorldError && /\/nonexistent\/world\.yaml/.test(e.message));
  });
});
