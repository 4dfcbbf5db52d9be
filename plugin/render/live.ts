/**
 * @module
 * `--watch` output, for every command that has it. On a terminal: the alternate screen (as `watch`, `top` and
 * eks-node-viewer use it), each frame drawn over the last from the top-left corner, line by line with the rest
 * of each line cleared, so nothing flickers; cut to the screen's height with a line saying how much is hidden.
 * On leaving (Ctrl-C, SIGTERM, the end), the terminal is given back as it was (main screen, cursor shown) and
 * the last frame is printed there, so it stays in the scrollback. In a pipe, commands print what changed
 * themselves; this module only runs the loop: changes are coalesced (a burst of 50 pod events is one redraw),
 * and a redraw never overlaps the previous one.
 */
import type { CliIO } from '../io.ts';
import { displayWidth, truncate } from './text.ts';
import { terminalWidth } from './width.ts';

const ESC = '\u001b[';
export const ALT_SCREEN_ON = `${ESC}?1049h`;
export const ALT_SCREEN_OFF = `${ESC}?1049l`;
export const CURSOR_HIDE = `${ESC}?25l`;
export const CURSOR_SHOW = `${ESC}?25h`;
const HOME = `${ESC}H`;
const CLEAR_LINE_END = `${ESC}K`;
const CLEAR_BELOW = `${ESC}J`;

export interface LiveScreen {
  /** Draws `frame` over the previous one. */
  draw(frame: string): void;
  /** Gives the terminal back and prints the last frame on the main screen. Idempotent. */
  close(): void;
}

export function openLiveScreen(io: CliIO, size: () => { columns: number; rows: number }): LiveScreen {
  io.stdout(`${ALT_SCREEN_ON}${CURSOR_HIDE}`);
  let last = '';
  let closed = false;
  return {
    draw(frame) {
      if (closed) return;
      last = frame;
      const { columns, rows } = size();
      let lines = frame.replace(/\n$/, '').split('\n');
      if (rows > 1 && lines.length > rows - 1) {
        const hidden = lines.length - (rows - 2);
        lines = [...lines.slice(0, rows - 2), `… ${hidden} more lines below: make the window taller`];
      }
      // Cut what is wider than the screen: a wrapped line would scroll the frame.
      const fitted = lines.map((l) => (displayWidth(l) > columns && !l.includes('\u001b') ? truncate(l, columns) : l));
      io.stdout(`${HOME}${fitted.map((l) => `${l}${CLEAR_LINE_END}`).join('\n')}\n${CLEAR_BELOW}`);
    },
    close() {
      if (closed) return;
      closed = true;
      io.stdout(`${CURSOR_SHOW}${ALT_SCREEN_OFF}${last}`);
    },
  };
}

/**
 * Runs `refresh` after changes, coalesced: the first change schedules it `delayMs` later, changes meanwhile
 * join it, and a change during a refresh schedules one more after it. Also every `everyMs`, when given.
 */
export function coalescer(refresh: () => Promise<void>, o: { delayMs: number; everyMs?: number; onError(err: unknown): void }): { changed(): void; stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let again = false;
  let stopped = false;
  const run = async () => {
    timer = undefined;
    if (stopped) return;
    running = true;
    try {
      await refresh();
    } catch (err) {
      o.onError(err);
    } finally {
      running = false;
    }
    if (again) {
      again = false;
      changed();
    }
  };
  const changed = () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    timer ??= setTimeout(() => void run(), o.delayMs);
  };
  const periodic = o.everyMs ? setInterval(changed, o.everyMs) : undefined;
  return {
    changed,
    stop() {
      stopped = true;
      clearTimeout(timer);
      clearInterval(periodic);
    },
  };
}

/** Resolves when the command is told to stop (Ctrl-C, SIGTERM, SIGHUP, a closed pipe), with why. */
export function stopSignal(io: CliIO): { stopped: Promise<string>; dispose(): void } {
  let dispose = () => {};
  const stopped = new Promise<string>((resolve) => {
    dispose = io.onStop?.(resolve) ?? (() => {});
  });
  return { stopped, dispose: () => dispose() };
}

/** "12:04:31", in the local time zone: when a frame was drawn. */
export function clockTime(d: Date): string {
  return d.toTimeString().slice(0, 8);
}

export interface LiveViewOptions {
  io: CliIO;
  /** Redraw in place: a terminal, and a format for people. Otherwise what `refresh` returns is printed. */
  redraw: boolean;
  /** What to show now: the frame (redraw), or the text to print (a pipe; '' prints nothing). */
  refresh(ctx: { now: Date; columns: number; started: Date }): Promise<string>;
  /** Refresh at least this often, changes or not (EC2, which has no watch). */
  everyMs?: number;
  /** How soon after a change the view is computed again: a burst of events lands in one redraw. */
  delayMs?: number;
}

export interface LiveView {
  /** Something changed: compute the view again soon. */
  changed(): void;
  /** A problem worth showing (a broken watch, a failed read): under the frame on a terminal, else on stderr. */
  note(line: string): void;
  /**
   * Waits for `synced`, then shows the view until the command is told to stop; calls `close` on the way out
   * (either way) and gives the terminal back. Returns the exit code (0: stopped by the user).
   */
  run(synced: Promise<void>, close: () => void): Promise<number>;
}

export function liveView(o: LiveViewOptions): LiveView {
  const { io } = o;
  const notes: string[] = [];
  let screen: LiveScreen | undefined;
  let columns = terminalWidth(io);
  let rows = io.stdoutRows ?? 24;
  let started = io.now();
  let loop: ReturnType<typeof coalescer> | undefined;
  const refresh = async () => {
    const text = await o.refresh({ now: io.now(), columns, started });
    if (screen) {
      const shown = notes.length > 0 ? `${text.trimEnd()}\n\n${notes.map((n) => `! ${n}`).join('\n')}` : text;
      screen.draw(shown);
    } else if (text !== '') {
      io.stdout(text);
    }
  };
  const view: LiveView = {
    changed() {
      // Before the first frame there is nothing to redraw: run() draws it once everything is listed.
      loop?.changed();
    },
    note(line) {
      if (screen) {
        notes.splice(0, notes.length, ...[...notes, line].slice(-3));
        view.changed();
      } else {
        io.stderr(`warning: ${line}\n`);
      }
    },
    async run(synced, close) {
      const stop = stopSignal(io);
      const unresize = io.onResize?.((s) => {
        columns = terminalWidth({ ...io, stdoutColumns: s.columns });
        rows = s.rows;
        view.changed();
      });
      try {
        const first = await Promise.race([synced.then(() => 'synced' as const), stop.stopped]);
        if (first !== 'synced') return 0;
        started = io.now();
        if (o.redraw) screen = openLiveScreen(io, () => ({ columns, rows }));
        loop = coalescer(refresh, {
          delayMs: o.delayMs ?? 150,
          ...(o.everyMs ? { everyMs: o.everyMs } : {}),
          onError: (err) => view.note(`the view could not be computed again: ${(err as Error).message}`),
        });
        loop.changed();
        await stop.stopped;
        return 0;
      } finally {
        loop?.stop();
        unresize?.();
        stop.dispose();
        close();
        screen?.close();
      }
    },
  };
  return view;
}

