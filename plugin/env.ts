/**
 * @module
 * Every environment variable the plugin itself reads, each with why. Libraries read more on their own:
 * the AWS SDK its credential and config chain (AWS_ACCESS_KEY_ID, AWS_CONFIG_FILE, ...), client-node's
 * loader KUBECONFIG and KUBERNETES_SERVICE_HOST (pkg/kube/kubeconfig.ts).
 */

export const Env = {
  /** Any non-empty value turns colour and Unicode bars off (https://no-color.org). */
  noColor: 'NO_COLOR',
  /** Prints the stack of unexpected errors (plugin/main.ts). */
  debug: 'WINPREFIX_DEBUG',
  /** EC2 endpoint override when --ec2-endpoint is absent; the SDK's own names, read here so io.env decides. */
  ec2Endpoint: 'AWS_ENDPOINT_URL_EC2',
  /** The SDK's endpoint override for every service; used for EC2 when the EC2-specific one is unset. */
  anyEndpoint: 'AWS_ENDPOINT_URL',
  /** Only checked for presence: without them, --profile or a region from the node, there is no region at all. */
  region: 'AWS_REGION',
  defaultRegion: 'AWS_DEFAULT_REGION',
  profile: 'AWS_PROFILE',
} as const;
