/**
 * @module
 * Keeps a few of the HTTP/1.1 write connections open while this replica leads, so that the first pods of a
 * burst after a quiet stretch, or after taking the Lease, do not each wait for a TLS handshake with an API
 * server busy with that same burst.
 *
 * Why: the write pool (pkg/adapters/kube/connections.ts) closes a connection idle for 60 s, and kube-apiserver
 * one idle for 90 s. A burst that finds none opens one per patch in flight: 19 for 30 pods on one node, each
 * 8-80 ms to connect on a busy 2-core API server, and those pods waited p50 95-128 ms for their address against
 * 20-35 ms once the connections were there (docs/platform-notes.md, "Connections"). HTTP/2 would need one
 * connection, but writes stay on HTTP/1.1 for the write fence. So a GET /version, the cheapest call any client
 * may make, goes over each of the kept connections at once, again before the pool would close them.
 *
 * How many: at least `least` (the flag), and as many as writes used at once in the busiest stretch of the last
 * `holdMs`, up to `most` (app.ts: twice the flag, since each one kept is memory and a request every 45 s).
 * Deployments and jobs come in bursts of a similar size with quiet minutes between them; a fixed 8 left a 30-pod
 * burst after a quiet stretch opening about 11 more, and a fixed 16 would hold connections, and their memory, on
 * a replica whose bursts never need them (docs/platform-notes.md, "Connections").
 */
import type { Clock, TimerHandle } from '../support/clock.ts';
import type { Logger } from '../support/log.ts';

export interface WarmWriteConnectionsOptions {
  /** Sends `count` requests at once over the write connections; resolves to how many were answered. */
  warm(count: number): Promise<number>;
  /** Write connections that carried a request since the last round ended (KubeClients.writeConnectionsUsed). */
  used(): number;
  /** Kept open at least; 0 turns keeping off. */
  least: number;
  /** Kept open at most, however many a burst used (app.ts passes twice `least`, within the pool's size). */
  most: number;
  /** From the end of one round to the start of the next: below the pool's keep-alive. */
  everyMs: number;
  /** How long the busiest stretch's count is kept after it. */
  holdMs: number;
  clock: Pick<Clock, 'after' | 'now'>;
  log: Logger;
}

/** Starts at once; `stop` cancels the next round (one in flight finishes on its own). */
export function warmWriteConnections(o: WarmWriteConnectionsOptions): { stop(): void } {
  let stopped = false;
  let next: TimerHandle | undefined;
  let shortBefore = false;
  let busiest = 0;
  let busiestUntil = 0;
  let kept = o.least;
  const round = async () => {
    const used = o.used();
    const now = o.clock.now();
    if (used >= busiest || now >= busiestUntil) {
      busiest = used;
      busiestUntil = now + o.holdMs;
    }
    const count = Math.min(o.most, Math.max(o.least, busiest));
    if (count !== kept) o.log.debug('write connections kept open', { count, usedSinceLastRound: used });
    kept = count;
    let answered = 0;
    try {
      answered = await o.warm(count);
    } catch {
      // warm() settles every request itself; nothing answered is the same as this.
    }
    // Said once per stretch: an API server that is down has its own, louder, symptoms.
    const short = answered < count;
    if (short && !shortBefore) o.log.debug('write connections not all kept open', { asked: count, answered });
    shortBefore = short;
    if (!stopped) next = o.clock.after(o.everyMs, () => void round());
  };
  if (o.least > 0) void round();
  return {
    stop() {
      stopped = true;
      next?.cancel();
    },
  };
}
