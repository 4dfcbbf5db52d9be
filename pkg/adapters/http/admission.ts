/**
 * @module
 * The admission webhooks: two pure handlers and the HTTPS transport that serves them.
 */
export * from '../../core/admission/review.ts';
export { mutatePod, isWindowsPod, type MutatePodOptions } from '../../core/admission/pod-mutator.ts';
export { guardPodAnnotation, type GuardPodAnnotationOptions } from '../../core/admission/annotation-guard.ts';
export { startAdmissionServer, MAX_BODY_BYTES, type AdmissionHandler, type AdmissionServerOptions, type RunningServer } from './admission-server.ts';
export { readKeyPair, watchKeyPair, CertError, CERT_FILE, KEY_FILE } from './cert-reloader.ts';

/** The paths the webhook configurations point at (upstream's names). */
export const MUTATE_POD_PATH = '/mutate-v1-pod';
export const VALIDATE_POD_PATH = '/validate-v1-pod';
