/**
 * @module
 * From the cluster's analysis to a {@link ClusterCheck}: each node's verdict, its findings as `describe node`
 * words them (a finding word for word the same on several nodes, such as a missing ConfigMap, is listed once
 * with every node it is about), the cross-node findings, and the exit code. Pure.
 */
import type { ClusterAnalysis } from '../cluster/analyze.ts';
import { REPORT_API_VERSION } from '../describe/report.ts';
import { ExitCode } from '../io.ts';
import { naturalCompare } from '../render/text.ts';
import { CHECK_KIND, type CheckFinding, type ClusterCheck } from './schema.ts';

export function clusterCheck(analysis: ClusterAnalysis, o: { now: Date; selector: string | null; nodeNames: readonly string[] }): ClusterCheck {
  const merged = new Map<string, CheckFinding>();
  for (const r of analysis.reports) {
    for (const f of r.findings) {
      const key = JSON.stringify([f.kind, f.cause, f.subject, f.message, f.meaning, f.action, f.commands, f.pods]);
      const known = merged.get(key);
      if (known) known.nodes.push(r.node.name);
      else merged.set(key, { ...f, scope: 'node', nodes: [r.node.name] });
    }
  }
  const cross: CheckFinding[] = analysis.crossNode.map((f) => ({ ...f, scope: 'cross-node' }));
  // The cause that strands the most pods first; cross-node findings (which only check shows) before equals.
  const findings = [...cross, ...merged.values()].sort((a, b) => b.pods.length - a.pods.length);
  for (const f of findings) f.nodes.sort(naturalCompare);

  const kindsOf = new Map<string, string[]>();
  for (const f of findings) for (const n of f.nodes) kindsOf.set(n, [...(kindsOf.get(n) ?? []), f.kind]);
  const nodes = analysis.reports.map((r) => {
    const kinds = kindsOf.get(r.node.name) ?? [];
    return {
      name: r.node.name,
      managedBy: r.node.managedBy,
      mode: r.mode.mode,
      pods: r.pods.length,
      podsWithoutAddress: r.pods.filter((p) => p.address === null).length,
      findings: kinds.length,
      kinds: [...new Set(kinds)],
      ec2: { read: r.ec2.available, error: r.ec2.error, errorCode: r.ec2.errorCode },
    };
  });
  const verified = nodes.filter((n) => n.ec2.read).length;
  const exitCode = verified < nodes.length ? ExitCode.toolError : findings.length > 0 ? ExitCode.findings : ExitCode.ok;
  return {
    apiVersion: REPORT_API_VERSION,
    kind: CHECK_KIND,
    metadata: { generatedAt: o.now.toISOString(), selector: o.selector, nodeNames: [...o.nodeNames] },
    summary: {
      nodes: nodes.length,
      verified,
      nodesWithFindings: nodes.filter((n) => n.findings > 0).length,
      findings: findings.length,
      crossNodeFindings: cross.length,
      pods: nodes.reduce((n, x) => n + x.pods, 0),
      podsWithoutAddress: nodes.reduce((n, x) => n + x.podsWithoutAddress, 0),
      exitCode,
    },
    nodes,
    findings,
  };
}
