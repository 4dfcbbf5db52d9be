/**
 * @module
 * A pod's address story for people: the pod and its address in a few "Label: value" lines, each stage as a
 * question with a mark and its answer, the evidence under it, and for the stage that stopped the pod the
 * finding with what it means, what to do and the commands, as `describe node` prints findings. Fits the width.
 */
import { hanging, labelled, renderFindings } from '../render/blocks.ts';
import { formatAge } from '../render/age.ts';
import type { Style } from '../render/style.ts';
import type { PodStory, Stage } from './schema.ts';

export interface StoryRenderOptions {
  style: Style;
  width: number;
  now: Date;
}

const MARKS: Record<'rich' | 'ascii', Record<Stage['state'], string>> = {
  rich: { passed: '✓', failed: '✗', pending: '…', unknown: '?', 'not-reached': '·' },
  ascii: { passed: '+', failed: 'x', pending: '~', unknown: '?', 'not-reached': '-' },
};

const ago = (now: Date, iso: string) => `${formatAge((now.getTime() - Date.parse(iso)) / 1000)} ago`;

export function renderStory(s: PodStory, o: StoryRenderOptions): string {
  const { style } = o;
  const field = (label: string, value: string, paint?: (t: string) => string) => labelled(label, value, { width: o.width, paint });
  let out = field('Pod', `${s.pod.namespace}/${s.pod.name}, ${s.pod.phase}${s.pod.node ? ` on ${s.pod.node}` : ', not scheduled'}${s.pod.createdAt ? `, created ${ago(o.now, s.pod.createdAt)}` : ''}`);
  const a = s.address;
  if (a) {
    const from = a.source.kind === 'prefix' ? ` from /28 prefix ${a.source.prefix} on ${a.source.interfaceId}` : a.source.kind === 'secondary-ip' ? ` (a secondary IP of ${a.source.interfaceId})` : a.source.kind === 'not-on-eni' ? ' (on no ENI of the node)' : '';
    const when = a.assignedAt ? `, assigned ${ago(o.now, a.assignedAt)}${a.secondsToAddress !== null ? ` (${formatAge(a.secondsToAddress)} after creation)` : ''}` : '';
    out += field('Address', `${a.ip}${from}${when}`);
  } else {
    out += field('Address', 'none');
  }
  const stopped = s.stages.findIndex((x) => x.id === s.stoppedAt);
  const verdict =
    s.verdict === 'working'
      ? style.green(`a working address${s.stoppedAt ? `; ${s.stages[stopped]!.title.replace(/\?$/, '').toLowerCase()}: not yet` : ''}`)
      : s.verdict === 'unknown'
        ? style.yellow('not verified: a stage could not be checked (see below)')
        : style.red(`stopped at stage ${stopped + 1}, "${s.stages[stopped]?.title ?? ''}"`);
  out += field('Verdict', verdict);
  out += '\nStages:\n';
  const marks = MARKS[style.rich ? 'rich' : 'ascii'];
  const paint = (state: Stage['state']) => (state === 'passed' ? style.green : state === 'failed' ? style.red : state === 'not-reached' ? style.dim : style.yellow);
  s.stages.forEach((stage, n) => {
    const head = `  ${marks[stage.state]} ${n + 1}. ${stage.title} `;
    const answer = stage.state === 'not-reached' ? 'not reached' : stage.summary;
    out += hanging(head, answer, { width: o.width, hang: 7 }).replace(`${marks[stage.state]} ${n + 1}.`, `${paint(stage.state)(marks[stage.state])} ${n + 1}.`);
    for (const e of stage.evidence) out += hanging('       ', e, { width: o.width, hang: 9, paint: style.dim });
  });
  const stoppedStage = s.stages[stopped];
  if (stoppedStage?.finding) out += `\n${renderFindings([stoppedStage.finding], { width: o.width, style, title: `Why it stopped at stage ${stopped + 1}` })}`;
  return out;
}
