/**
 * @module
 * Flags of the commands that look at many Windows nodes at once (`subnets`, `migrate`): kubectl's
 * connection flags without -n (they read whole nodes, never one namespace), and -l to pick nodes.
 */
import type { FlagSpec } from '../cli.ts';
import { KUBE_FLAGS } from '../connection-flags.ts';

const { namespace: _namespace, ...kubeFlagsWithoutNamespace } = KUBE_FLAGS;
export const KUBE_FLAGS_WITHOUT_NAMESPACE = kubeFlagsWithoutNamespace;

export const SELECTOR_FLAG = {
  selector: { alias: 'l', type: 'string', describe: 'Only Windows nodes matching this label selector (added to kubernetes.io/os=windows), e.g. -l eks.amazonaws.com/nodegroup=win' },
} as const satisfies Record<string, FlagSpec>;
