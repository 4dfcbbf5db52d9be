/**
 * @module
 * The simulator's failures, as EC2 reports them: a stable EC2 error code, a message in EC2's style, and the
 * HTTP status EC2 answers with. The world model throws these; the HTTP layer renders them as EC2 error XML.
 */

export class SimError extends Error {
  /** The EC2 error code, e.g. "InvalidNetworkInterfaceID.NotFound". */
  readonly code: string;
  readonly httpStatus: number;
  constructor(code: string, message: string, httpStatus = 400) {
    super(message);
    this.name = 'SimError';
    this.code = code;
    this.httpStatus = httpStatus;
  }
}

export function missingParameter(name: string): SimError {
  return new SimError('MissingParameter', `The request must contain the parameter ${name}`);
}

export function invalidParameterValue(name: string, value: string, why: string): SimError {
  return new SimError('InvalidParameterValue', `Value (${value}) for parameter ${name} is invalid. ${why}`);
}

/** A world file or world spec that cannot be built; the message names the offending field and value. */
export class WorldError extends Error {
  readonly code = 'WINPREFIX_SIM_BAD_WORLD';
  constructor(message: string) {
    super(message);
    this.name = 'WorldError';
  }
}
