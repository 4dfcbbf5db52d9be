/**
 * @module
 * A NodeReport as the user asked for it: `-o json|yaml` as is, the human form fitted to the terminal.
 */
import type { CliIO } from '../io.ts';
import { styleOf } from '../common-flags.ts';
import { renderStructured } from '../render/structured.ts';
import { terminalWidth } from '../render/width.ts';
import type { DescribeNodeOp } from './command.ts';
import { renderHuman } from './render.ts';
import type { NodeReport } from './report.ts';

export async function renderReport(report: NodeReport, op: Pick<DescribeNodeOp, 'output' | 'color'>, io: CliIO): Promise<string> {
  if (op.output === 'json' || op.output === 'yaml') return renderStructured(report, op.output);
  const style = styleOf(op.color, io);
  return renderHuman(report, { wide: op.output === 'wide', style, now: io.now(), width: terminalWidth(io) });
}
