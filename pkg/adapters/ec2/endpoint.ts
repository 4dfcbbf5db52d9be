/**
 * @module
 * The EC2 endpoint a user passed, checked before any call. Shared by the controller's SDK adapter and the
 * plugin's own reader; it imports nothing of the SDK, so the plugin stays free of it.
 */
import { Ec2Error } from '../../core/ec2/errors.ts';

/** An EC2 endpoint (`--ec2-endpoint`, AWS_ENDPOINT_URL_EC2) as a URL; one that is not http or https is refused before any call. */
export function parseEc2Endpoint(endpoint: string): URL {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new Ec2Error('other', 'WinprefixBadEndpoint', 'configure', `EC2 endpoint "${endpoint}" is not a URL; use e.g. http://127.0.0.1:4566 or https://ec2.us-west-2.amazonaws.com`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Ec2Error('other', 'WinprefixBadEndpoint', 'configure', `EC2 endpoint "${endpoint}" must use http or https`);
  }
  return url;
}
