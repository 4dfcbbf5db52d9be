/**
 * @module
 * Who carries which pod address across the whole cluster: every running pod's IP annotation (from
 * the pod cache), plus the reservations the controller made and has not yet seen annotated. It
 * answers one question for a node's pool: does a pod on another node carry this address? Such an
 * address is never handed out on this node, whatever EC2 says about the block (docs/design.md,
 * "No address on two pods").
 */
import { parseAnnotation } from '../ipam/annotation.ts';

/** A pod as the pod cache holds it (its PodView is one, kept as itself rather than copied into a record per pod). */
export interface Claimant {
  uid: string;
  nodeName: string;
  namespace: string;
  name: string;
}

/**
 * The pods carrying one address: almost always one, so one is kept as itself. A Map per address cost about
 * 200 bytes per pod at 20,000 pods (docs/platform-notes.md, "Controller memory").
 */
type Carriers = Claimant | Claimant[];

const carriersOf = (c: Carriers | undefined): readonly Claimant[] => (c === undefined ? [] : Array.isArray(c) ? c : [c]);
const described = (c: Claimant) => `${c.namespace}/${c.name} on node ${c.nodeName}`;

export class AddressClaims {
  /** ip -> the pods carrying it, one entry per pod UID. */
  readonly #byIp = new Map<number, Carriers>();
  /** pod UID -> its annotated address and its reserved address. */
  readonly #annotated = new Map<string, number>();
  readonly #reserved = new Map<string, number>();

  /**
   * Records a pod as the cache shows it: its annotated address when running, none otherwise. Returns true
   * when the annotation is the address reserved for the pod: the controller's own write, seen coming back.
   */
  setPod(pod: Claimant, annotation: string | undefined, running: boolean): boolean {
    const parsed = annotation !== undefined && running ? parseAnnotation(annotation) : undefined;
    if (!parsed?.ok) {
      this.#clear(this.#annotated, pod.uid);
      return false;
    }
    this.#set(this.#annotated, pod, parsed.ip);
    // The annotation is what counts from now on; a reservation for the same address is done.
    if (this.#reserved.get(pod.uid) !== parsed.ip) return false;
    this.#clear(this.#reserved, pod.uid);
    return true;
  }

  removePod(podUid: string): void {
    this.#clear(this.#annotated, podUid);
    this.#clear(this.#reserved, podUid);
  }

  /** The controller is about to annotate `pod` with `ip` (bare address text). */
  reserve(ip: string, pod: Claimant): void {
    const parsed = parseAnnotation(ip);
    if (parsed.ok) this.#set(this.#reserved, pod, parsed.ip);
  }

  /** The reservation went back to the pool (refused patch, pod gone). */
  dropReservation(podUid: string): void {
    this.#clear(this.#reserved, podUid);
  }

  /** A pod on a node other than `node` that carries or is about to carry `ip`, as "ns/name on node". */
  heldElsewhere(ip: number, node: string): string | undefined {
    const carriers = this.#byIp.get(ip);
    // Asked for every address of a node at every run of it: the usual one carrier is looked at without a list.
    if (carriers === undefined || !Array.isArray(carriers)) return carriers === undefined || carriers.nodeName === node ? undefined : described(carriers);
    for (const c of carriers) if (c.nodeName !== node) return described(c);
    return undefined;
  }

  /** Every pod carrying `ip` (annotated or reserved). */
  claimants(ip: number): Claimant[] {
    return [...carriersOf(this.#byIp.get(ip))];
  }

  /** Records `pod` as carrying `ip`, in place of what was recorded for the same pod. */
  #carry(ip: number, pod: Claimant): void {
    const now = this.#byIp.get(ip);
    if (now === undefined || (!Array.isArray(now) && now.uid === pod.uid)) {
      this.#byIp.set(ip, pod);
      return;
    }
    const list = carriersOf(now);
    const at = list.findIndex((c) => c.uid === pod.uid);
    this.#byIp.set(ip, at < 0 ? [...list, pod] : list.map((c, i) => (i === at ? pod : c)));
  }

  #drop(ip: number, podUid: string): void {
    const rest = carriersOf(this.#byIp.get(ip)).filter((c) => c.uid !== podUid);
    if (rest.length === 0) this.#byIp.delete(ip);
    else this.#byIp.set(ip, rest.length === 1 ? rest[0]! : rest);
  }

  /** Records `ip` as `pod`'s address in `source` (annotated or reserved), in place of the one it had there. */
  #set(source: Map<string, number>, pod: Claimant, ip: number): void {
    if (source.get(pod.uid) !== ip) {
      this.#clear(source, pod.uid);
      source.set(pod.uid, ip);
    }
    this.#carry(ip, pod);
  }

  #clear(source: Map<string, number>, podUid: string): void {
    const before = source.get(podUid);
    if (before === undefined) return;
    source.delete(podUid);
    const other = source === this.#annotated ? this.#reserved : this.#annotated;
    // The pod may still claim the old address the other way (reserved and annotated alike).
    if (other.get(podUid) !== before) this.#drop(before, podUid);
  }
}
