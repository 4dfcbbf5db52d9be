/**
 * @module
 * Node built-ins that commands load with require(), only when they use them. Why: an ES import of a
 * built-in builds its module namespace by reading every export, and some exports load more on first read
 * (node:http pulls Node's own bundled undici for fetch and WebSocket, node:crypto its WebCrypto, about
 * 50 ms together); and child_process, http or https are needed only on some paths (an exec credential
 * plugin, a server without HTTP/2). Each function returns the module, loading it on first call.
 */
import { createRequire } from 'node:module';
import type * as ChildProcess from 'node:child_process';
import type * as Crypto from 'node:crypto';
import type * as Http from 'node:http';
import type * as Http2 from 'node:http2';
import type * as Https from 'node:https';

const load = createRequire(import.meta.url);

export const http = (): typeof Http => load('node:http') as typeof Http;
export const https = (): typeof Https => load('node:https') as typeof Https;
export const http2 = (): typeof Http2 => load('node:http2') as typeof Http2;
export const crypto = (): typeof Crypto => load('node:crypto') as typeof Crypto;
export const childProcess = (): typeof ChildProcess => load('node:child_process') as typeof ChildProcess;
