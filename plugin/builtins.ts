/**
 * @module
 * Node built-ins that commands load with require(), only when they use them. Why: an ES import of a
 * built-in builds its module namespace by reading every export, and some exports load more on first read
 * (node:http pulls Node's own bundled undici for fetch and WebSocket, node:fs its promises API with
 * readline and worker internals, node:crypto its WebCrypto: about 60 ms together); and child_process,
 * http, https or zlib are needed only on some paths (an exec credential plugin, a server without HTTP/2,
 * a compressed answer). Each function returns the module, loading it on first call.
 */
import { createRequire } from 'node:module';
import type * as ChildProcess from 'node:child_process';
import type * as Crypto from 'node:crypto';
import type * as Fs from 'node:fs';
import type * as Http from 'node:http';
import type * as Http2 from 'node:http2';
import type * as Https from 'node:https';
import type * as Tls from 'node:tls';
import type * as Util from 'node:util';
import type * as Zlib from 'node:zlib';

const load = createRequire(import.meta.url);

export const http = (): typeof Http => load('node:http') as typeof Http;
export const https = (): typeof Https => load('node:https') as typeof Https;
export const http2 = (): typeof Http2 => load('node:http2') as typeof Http2;
export const crypto = (): typeof Crypto => load('node:crypto') as typeof Crypto;
export const childProcess = (): typeof ChildProcess => load('node:child_process') as typeof ChildProcess;
export const fs = (): typeof Fs => load('node:fs') as typeof Fs;
export const tls = (): typeof Tls => load('node:tls') as typeof Tls;
export const zlib = (): typeof Zlib => load('node:zlib') as typeof Zlib;
export const util = (): typeof Util => load('node:util') as typeof Util;
