/**
 * @module
 * Who carries which pod address across the whole cluster: every running pod's IP annotation (from
 * the pod cache), plus the reservations the controller made and has not yet seen annotated. It
 * answers one question for a node's pool: does a pod on another node carry this address? Such an
 * address is never handed out on this node, whatever EC2 says about the block (docs/design.md,
 * "No address on two pods").
 */
import { parseAnnotation } from '../ipam/annotation.ts';

export interface Claimant {
  podUid: string;
  node: string;
  /** "namespace/name", for reports. */
  ref: string;
}

export class AddressClaims {
  /** ip -> pod UID -> claimant. */
  readonly #byIp = new Map<number, Map<string, Claimant>>();
  /** pod UID -> its annotated address and its reserved address. */
  readonly #annotated = new Map<string, number>();
  readonly #reserved = new Map<string, number>();

  /** Records a pod as the cache shows it: its annotated address when running, none otherwise. */
  setPod(pod: Claimant, annotation: string | undefined, running: boolean): void {
    const parsed = annotation !== undefined && running ? parseAnnotation(annotation) : undefined;
    const ip = parsed?.ok ? parsed.ip : undefined;
    this.#move(this.#annotated, pod, ip);
    // The annotation is what counts from now on; a reservation for the same address is done.
    if (ip !== undefined && this.#reserved.get(pod.podUid) === ip) this.#move(this.#reserved, pod, undefined);
  }

  removePod(podUid: string): void {
    this.#move(this.#annotated, { podUid, node: '', ref: '' }, undefined);
    this.#move(this.#reserved, { podUid, node: '', ref: '' }, undefined);
  }

  /** The controller is about to annotate `pod` with `ip` (bare address text). */
  reserve(ip: string, pod: Claimant): void {
    const parsed = parseAnnotation(ip);
    if (parsed.ok) this.#move(this.#reserved, pod, parsed.ip);
  }

  /** The reservation went back to the pool (refused patch, pod gone). */
  dropReservation(podUid: string): void {
    this.#move(this.#reserved, { podUid, node: '', ref: '' }, undefined);
  }

  /** A pod on a node other than `node` that carries or is about to carry `ip`, as "ns/name on node". */
  heldElsewhere(ip: number, node: string): string | undefined {
    const claims = this.#byIp.get(ip);
    if (!claims) return undefined;
    for (const c of claims.values()) if (c.node !== node) return `${c.ref} on node ${c.node}`;
    return undefined;
  }

  /** Every pod carrying `ip` (annotated or reserved). */
  claimants(ip: number): Claimant[] {
    return [...(this.#byIp.get(ip)?.values() ?? [])];
  }

  #move(source: Map<string, number>, pod: Claimant, ip: number | undefined): void {
    const before = source.get(pod.podUid);
    if (before === ip) {
      if (ip !== undefined) this.#byIp.get(ip)?.set(pod.podUid, pod);
      return;
    }
    if (before !== undefined) {
      source.delete(pod.podUid);
      const other = source === this.#annotated ? this.#reserved : this.#annotated;
      // The pod may still claim the old address the other way (reserved and annotated alike).
      if (other.get(pod.podUid) !== before) {
        const claims = this.#byIp.get(before);
        claims?.delete(pod.podUid);
        if (claims?.size === 0) this.#byIp.delete(before);
      }
    }
    if (ip === undefined) return;
    source.set(pod.podUid, ip);
    let claims = this.#byIp.get(ip);
    if (!claims) this.#byIp.set(ip, (claims = new Map()));
    claims.set(pod.podUid, pod);
  }
}
