/**
 * @module
 * How the controller image runs Node: the flags and the compile cache the Dockerfile sets, named once so
 * the image test holds the Dockerfile to them and the benchmark runs the controller the way the image does.
 * docs/platform-notes.md, "Controller memory", has the measurements behind each.
 */

/**
 * A 1 MiB young generation instead of V8's default (up to 16 MiB per semi-space): an idle controller's
 * heap is small, and the larger young generation only held garbage between scavenges. Measured: about
 * 11 MiB less RSS idle and 25 MiB less after a 500-pod burst, no measurable CPU cost in the burst.
 *
 * `--expose-gc` gives the controller V8's gc(), which its idle compactor calls once the process is quiet after
 * a burst, to hand back the memory the burst needed (pkg/support/idle-compactor.ts).
 *
 * `--liftoff-only` keeps WebAssembly on V8's baseline compiler. The only WebAssembly the controller runs is
 * undici's HTTP/1.1 parser (its write connections); once it is hot, V8 recompiles its 33 KB parse function
 * with TurboFan: 87 ms of CPU and 23 MiB of compiler memory at its peak (`--trace-wasm-compilation-times`),
 * most of which glibc keeps. `--no-wasm-tier-up` and a larger `--wasm-tiering-budget` do not stop that
 * recompilation; this flag does. Measured in the 500-pod burst, two rounds alternating: RSS with 10 warm
 * nodes 97-98 -> 91.5-92 MiB; 3,000 requests through undici take the same time within the spread.
 */
export const CONTROLLER_NODE_FLAGS = ['--max-semi-space-size=1', '--expose-gc', '--liftoff-only'] as const;

/**
 * glibc malloc settings the image sets in the controller's environment. By default glibc gives each thread
 * that allocates its own arena (up to 8 per core: Node's main thread, V8's platform workers and libuv's
 * pool) and keeps freed memory in each; a burst's TLS buffers, parser and compiler zones stay resident
 * after it. Two arenas, and free memory above 64 KiB at the top of a heap handed back to the kernel:
 * measured in the 500-pod burst (`node test/bench/controller.bench.ts --cases startup,burst`, same run):
 * 108 -> 95-99 MiB with the nodes, 122-124 -> 110 MiB after the burst, 86.5 -> 85 MiB idle; CPU and
 * latency within the run-to-run spread. docs/platform-notes.md, "Controller memory".
 */
export const CONTROLLER_ENV = { MALLOC_ARENA_MAX: '2', MALLOC_TRIM_THRESHOLD_: '65536' } as const;

/**
 * Where the image keeps the V8 code cache of /app/controller.js (NODE_COMPILE_CACHE). It is made at image
 * build time by the runtime image's own Node, at the same path and as the same user (Node keys the cache
 * by Node version, user id, file path and content), so the first start already skips compiling the
 * bundle: its parse and compile peak (about 40 MiB of malloc that glibc keeps) never happens. Read-only
 * is fine: Node only reads a cache that matches.
 */
export const IMAGE_COMPILE_CACHE_DIR = '/app/node-compile-cache';
