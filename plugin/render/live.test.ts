import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CliIO } from '../io.ts';
import { ALT_SCREEN_OFF, ALT_SCREEN_ON, coalescer, CURSOR_HIDE, CURSOR_SHOW, liveView, openLiveScreen } from './live.ts';

function io(o: Partial<CliIO> = {}): CliIO & { out: string[] } {
  const out: string[] = [];
  return { out, stdout: (t) => void out.push(t), stderr: () => {}, env: {}, stdoutIsTTY: true, now: () => new Date(0), ...o };
}

describe('live screen', () => {
  it('enters the alternate screen, draws over the last frame, gives the terminal back with the last frame', () => {
    const t = io();
    const screen = openLiveScreen(t, () => ({ columns: 20, rows: 5 }));
    screen.draw('a\nb\n');
    screen.draw('c\n');
    screen.close();
    screen.close();
    assert.equal(t.out[0], `${ALT_SCREEN_ON}${CURSOR_HIDE}`);
    assert.equal(t.out[1], '\u001b[Ha\u001b[K\nb\u001b[K\n\u001b[J');
    assert.equal(t.out[2], '\u001b[Hc\u001b[K\n\u001b[J');
    assert.equal(t.out[3], `${CURSOR_SHOW}${ALT_SCREEN_OFF}c\n`);
    assert.equal(t.out.length, 4, 'closing twice gives the terminal back once');
  });

  it('cuts a frame to the screen, saying how much is below, and long lines to its width', () => {
    const t = io();
    const screen = openLiveScreen(t, () => ({ columns: 50, rows: 4 }));
    screen.draw(['1', '2', '3', '4', '5', '6'].join('\n'));
    assert.equal(t.out[1], '\u001b[H1\u001b[K\n2\u001b[K\n… 4 more lines below: make the window taller\u001b[K\n\u001b[J');
    screen.draw('x'.repeat(60));
    assert.equal(t.out[2], `\u001b[H${'x'.repeat(49)}…\u001b[K\n\u001b[J`);
  });
});

describe('coalescer', () => {
  it('a burst of changes is one refresh; a change during a refresh is one more after it', async () => {
    let refreshes = 0;
    let release: () => void = () => {};
    const done: Array<() => void> = [];
    const c = coalescer(
      async () => {
        refreshes++;
        done.shift()?.();
        if (refreshes === 1) await new Promise<void>((r) => (release = r));
      },
      { delayMs: 1, onError: (e) => assert.fail(String(e)) },
    );
    const first = new Promise<void>((r) => done.push(r));
    for (let i = 0; i < 50; i++) c.changed();
    await first;
    const second = new Promise<void>((r) => done.push(r));
    c.changed();
    c.changed();
    release();
    await second;
    c.stop();
    assert.equal(refreshes, 2);
  });
});

describe('liveView', () => {
  it('in a pipe prints what refresh returns and stops cleanly when told to', async () => {
    let stop: (why: string) => void = () => {};
    const printed = new Promise<void>((resolve) => {
      const t = io({ stdoutIsTTY: false, onStop: (h) => ((stop = h), () => {}) });
      const view = liveView({ io: t, redraw: false, refresh: async () => 'row\n' });
      let closed = false;
      const running = view.run(Promise.resolve(), () => (closed = true));
      const poll = setInterval(() => {
        if (t.out.join('') === 'row\n') {
          clearInterval(poll);
          stop('SIGINT');
          void running.then((code) => {
            assert.equal(code, 0);
            assert.ok(closed);
            resolve();
          });
        }
      }, 1);
    });
    await printed;
  });
});
