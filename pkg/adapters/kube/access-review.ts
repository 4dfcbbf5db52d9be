/**
 * @module
 * The API server's two reviews behind pkg/adapters/http/delegated-auth.ts: TokenReview
 * (authentication.k8s.io/v1) says whose bearer token this is, SubjectAccessReview
 * (authorization.k8s.io/v1) whether that user may use a non-resource URL. RBAC: create on
 * tokenreviews and subjectaccessreviews (pkg/manifests/rbac.ts).
 */
import type { AccessReviewer } from '../http/delegated-auth.ts';
import type { KubeClients } from './client.ts';

export function createAccessReviewer(clients: Pick<KubeClients, 'authentication' | 'authorization'>): AccessReviewer {
  return {
    async reviewToken(token) {
      // No audiences: the API server checks the token against its own, as for a request to itself.
      const review = await clients.authentication.createTokenReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } } });
      const status = review.status;
      if (!status?.authenticated || !status.user?.username) return { authenticated: false, reason: status?.error ?? '' };
      return {
        authenticated: true,
        user: {
          username: status.user.username,
          ...(status.user.uid ? { uid: status.user.uid } : {}),
          groups: status.user.groups ?? [],
          extra: status.user.extra ?? {},
        },
      };
    },
    async reviewAccess(user, request) {
      const review = await clients.authorization.createSubjectAccessReview({
        body: {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SubjectAccessReview',
          spec: {
            user: user.username,
            ...(user.uid ? { uid: user.uid } : {}),
            groups: user.groups,
            extra: user.extra,
            nonResourceAttributes: { path: request.path, verb: request.verb },
          },
        },
      });
      const status = review.status;
      return { allowed: status?.allowed === true && status.denied !== true, reason: status?.reason ?? status?.evaluationError ?? '' };
    },
  };
}
