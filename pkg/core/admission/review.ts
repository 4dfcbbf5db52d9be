/**
 * @module
 * AdmissionReview v1 (admission.k8s.io/v1) as the webhooks see it, and the three ways to
 * answer: allowed, denied, patched (controller-runtime's response.go). A handler that fails throws,
 * and server.ts answers HTTP 500 so the webhook's failurePolicy decides, rather than denying the pod.
 * Handlers are pure functions from review to review; the HTTP transport lives in server.ts.
 */
import { decodeBase64Utf8, encodeBase64Utf8 } from './base64.ts';

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export interface AdmissionUserInfo {
  username?: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

export type AdmissionOperation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

export interface AdmissionRequest {
  uid: string;
  kind: GroupVersionKind;
  resource: { group: string; version: string; resource: string };
  subResource?: string;
  name?: string;
  namespace?: string;
  operation: AdmissionOperation;
  userInfo: AdmissionUserInfo;
  /** The object as JSON (wire form: timestamps are strings). */
  object?: unknown;
  oldObject?: unknown;
  dryRun?: boolean;
  options?: unknown;
}

export interface AdmissionStatus {
  code?: number;
  message?: string;
  reason?: string;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: AdmissionStatus;
  /** base64 of a JSON Patch (RFC 6902) array. */
  patch?: string;
  patchType?: 'JSONPatch';
  warnings?: string[];
}

export interface AdmissionReview {
  apiVersion: 'admission.k8s.io/v1';
  kind: 'AdmissionReview';
  request?: AdmissionRequest;
  response?: AdmissionResponse;
}

export type JsonPatchOp =
  | { op: 'add' | 'replace' | 'test'; path: string; value: unknown }
  | { op: 'remove'; path: string };

export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';

function respond(review: AdmissionReview, response: Omit<AdmissionResponse, 'uid'>): AdmissionReview {
  return { apiVersion: ADMISSION_API_VERSION, kind: 'AdmissionReview', response: { uid: review.request?.uid ?? '', ...response } };
}

export function allowed(review: AdmissionReview, message?: string): AdmissionReview {
  return respond(review, { allowed: true, ...(message ? { status: { code: 200, message } } : {}) });
}

export function denied(review: AdmissionReview, message: string, code = 403): AdmissionReview {
  return respond(review, { allowed: false, status: { code, message, reason: code === 403 ? 'Forbidden' : 'BadRequest' } });
}

/** Allowed with a JSON Patch; an empty patch is a plain allow (the API server rejects empty patches in some versions). */
export function patched(review: AdmissionReview, ops: JsonPatchOp[], message?: string): AdmissionReview {
  if (ops.length === 0) return allowed(review, message);
  return respond(review, {
    allowed: true,
    patchType: 'JSONPatch',
    patch: encodeBase64Utf8(JSON.stringify(ops)),
    ...(message ? { status: { code: 200, message } } : {}),
  });
}

/** RFC 6901: "~" becomes "~0" and "/" becomes "~1" in a JSON Pointer segment. */
export function escapePointer(segment: string): string {
  return segment.replaceAll('~', '~0').replaceAll('/', '~1');
}

/** Decodes a response's patch (for tests and logs). */
export function decodePatch(response: AdmissionResponse | undefined): JsonPatchOp[] {
  if (!response?.patch) return [];
  return JSON.parse(decodeBase64Utf8(response.patch)) as JsonPatchOp[];
}
