/**
 * @module
 * The simulator's HTTP server: EC2's Query protocol on loopback (form-encoded POST or GET query, XML answers,
 * EC2 error XML with EC2's HTTP statuses), plus a small JSON admin API:
 *   GET|POST|DELETE /_admin/faults   read, replace or clear fault injection (see faults.ts)
 *   GET|DELETE      /_admin/counters calls per action, or reset them
 *   POST            /_admin/instances add a running instance (an instance entry of a world file, as JSON)
 *   GET             /_admin/world    the world as describes show it (subnets, instances, ENIs)
 * SigV4 signatures are accepted from any credentials and never verified.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { actionHandler } from './actions.ts';
import { Counters } from './counters.ts';
import { callerOf, Journal } from './journal.ts';
import { FaultError, Faults, type FaultConfig } from './faults.ts';
import { QueryParams } from './query-params.ts';
import { SimError, WorldError } from './sim-error.ts';
import { validateInstanceSpec } from './world-file.ts';
import { World, type WorldOptions } from './world.ts';
import type { WorldSpec } from './world-spec.ts';
import { errorXml, responseXml } from './xml.ts';

/** EC2 requests are small; 1 MiB leaves room for thousands of list entries and bounds memory. */
const MAX_BODY_BYTES = 1 << 20;

export interface Ec2SimulatorOptions {
  /** A live world, or a spec to build one from. */
  world: World | WorldSpec;
  worldOptions?: WorldOptions;
  /** Loopback only by default; default 127.0.0.1. */
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  faults?: FaultConfig;
}

export interface Ec2Simulator {
  /** e.g. "http://127.0.0.1:40123": give it to the SDK as `endpoint` or AWS_ENDPOINT_URL_EC2. */
  endpoint: string;
  port: number;
  world: World;
  faults: Faults;
  counters: Counters;
  /** Every EC2 call with its caller's access key id and when it was acted on. */
  journal: Journal;
  close(): Promise<void>;
}

export async function startEc2Simulator(options: Ec2SimulatorOptions): Promise<Ec2Simulator> {
  const world = options.world instanceof World ? options.world : new World(options.world, options.worldOptions);
  const faults = new Faults();
  if (options.faults) faults.set(options.faults);
  const counters = new Counters();
  const journal = new Journal();
  const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    handle(req, res, { world, faults, counters, journal }).catch((err: unknown) => {
      if (!res.headersSent) sendError(res, new SimError('InternalError', `simulator bug: ${String(err)}`, 500), randomUUID());
      else res.destroy();
    });
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    endpoint: `http://${urlHost}:${port}`,
    port,
    world,
    faults,
    counters,
    journal,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

interface State {
  world: World;
  faults: Faults;
  counters: Counters;
  journal: Journal;
}

async function handle(req: IncomingMessage, res: ServerResponse, state: State): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://simulator');
  const body = await readBody(req);
  if (body === undefined) {
    sendError(res, new SimError('RequestEntityTooLarge', `request body exceeds ${MAX_BODY_BYTES} bytes`, 413), randomUUID());
    return;
  }
  if (url.pathname.startsWith('/_admin/')) {
    handleAdmin(req.method ?? 'GET', url.pathname, body, res, state);
    return;
  }
  const requestId = randomUUID();
  const params = new URLSearchParams(req.method === 'POST' ? body : url.search);
  const action = params.get('Action');
  if (!action) {
    sendError(res, new SimError('MissingAction', 'The request must contain the parameter Action'), requestId);
    return;
  }
  const decision = state.faults.decide(action);
  if (decision.latencyMs > 0) await new Promise((r) => setTimeout(r, decision.latencyMs));
  const caller = callerOf(req.headers.authorization);
  const log = (outcome: 'ok' | 'error' | 'throttled' | 'failed') => {
    state.counters.record(action, outcome);
    state.journal.record({ at: Date.now(), action, caller, outcome });
  };
  if (decision.outcome === 'throttle') {
    log('throttled');
    sendError(res, new SimError('RequestLimitExceeded', 'Request limit exceeded.', 503), requestId);
    return;
  }
  if (decision.outcome === 'unauthorized') {
    log('error');
    sendError(res, new SimError('UnauthorizedOperation', 'You are not authorized to perform this operation.', 403), requestId);
    return;
  }
  if (decision.outcome === 'fail') {
    log('failed');
    sendError(res, new SimError('InternalError', 'An internal error has occurred', 500), requestId);
    return;
  }
  try {
    const handler = actionHandler(action);
    if (!params.get('Version')) throw new SimError('MissingParameter', 'The request must contain the parameter Version');
    const xml = responseXml(action, requestId, handler({ world: state.world, faults: state.faults, params: new QueryParams(params) }));
    log('ok');
    send(res, 200, 'text/xml;charset=UTF-8', xml, requestId);
  } catch (err) {
    log('error');
    if (err instanceof SimError) sendError(res, err, requestId);
    else sendError(res, new SimError('InternalError', `simulator bug in ${action}: ${String(err)}`, 500), requestId);
  }
}

function handleAdmin(method: string, path: string, body: string, res: ServerResponse, state: State): void {
  const json = (status: number, value: unknown): void => send(res, status, 'application/json', `${JSON.stringify(value, null, 2)}\n`, undefined);
  if (path === '/_admin/faults') {
    if (method === 'GET') return json(200, state.faults.get());
    if (method === 'DELETE') {
      state.faults.clear();
      return json(200, state.faults.get());
    }
    if (method === 'POST' || method === 'PUT') {
      try {
        state.faults.set(JSON.parse(body || '{}') as FaultConfig);
        return json(200, state.faults.get());
      } catch (err) {
        const message = err instanceof FaultError || err instanceof SyntaxError ? err.message : String(err);
        return json(400, { error: message });
      }
    }
  } else if (path === '/_admin/counters') {
    if (method === 'GET') return json(200, state.counters.snapshot());
    if (method === 'DELETE') {
      state.counters.reset();
      return json(200, {});
    }
  } else if (path === '/_admin/instances') {
    if (method === 'POST') {
      try {
        const spec = validateInstanceSpec(JSON.parse(body || 'null'));
        state.world.addInstance(spec);
        return json(201, state.world.instance(spec.id));
      } catch (err) {
        const known = err instanceof WorldError || err instanceof SyntaxError;
        return json(400, { error: known ? (err as Error).message : String(err) });
      }
    }
  } else if (path === '/_admin/world') {
    if (method === 'GET') {
      return json(200, { region: state.world.region, subnets: state.world.subnets(), instances: state.world.instances(), networkInterfaces: state.world.networkInterfaces() });
    }
  } else {
    return json(404, { error: `no admin endpoint ${path}; try /_admin/faults, /_admin/counters, /_admin/instances or /_admin/world` });
  }
  return json(405, { error: `${method} is not supported on ${path}` });
}

function send(res: ServerResponse, status: number, contentType: string, text: string, requestId: string | undefined): void {
  const headers: Record<string, string | number> = { 'content-type': contentType, 'content-length': Buffer.byteLength(text) };
  if (requestId) headers['x-amzn-requestid'] = requestId;
  res.writeHead(status, headers);
  res.end(text);
}

function sendError(res: ServerResponse, err: SimError, requestId: string): void {
  send(res, err.httpStatus, 'text/xml;charset=UTF-8', errorXml(err.code, err.message, requestId), requestId);
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
