/**
 * @module
 * Our own username as the API server sees it (authentication.k8s.io SelfSubjectReview), so the
 * annotation guard admits exactly the identity the controller runs as, whatever its kubeconfig
 * or service account. Every authenticated user may create this review (system:basic-user).
 * One call at start-up; built here because pkg/kube exposes no authentication client.
 */
import { AuthenticationV1Api, type KubeConfig } from '@kubernetes/client-node';

export async function whoAmI(kc: KubeConfig): Promise<string | undefined> {
  const api = kc.makeApiClient(AuthenticationV1Api);
  const review = await api.createSelfSubjectReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } });
  return review.status?.userInfo?.username || undefined;
}
