/**
 * The steps of one request as they happen, published on a diagnostics channel
 * for `bench/api-breakdown.ts` (where the time of a `sign.hash` goes). Nothing
 * is built or published unless something subscribed; the agent itself never
 * does, so a step costs one flag test.
 */
import { channel } from 'node:diagnostics_channel';

/** Channel name; a message is `{ step, at }`, `at` from `performance.now()`. */
export const REQUEST_STEP_CHANNEL = 'ca-assistant:request-step';

/** The steps in the order a signature passes them (see bench/api-breakdown.ts). */
export type RequestStep =
  | 'frame received'
  | 'params checked'
  | 'authorized'
  | 'certificate checked'
  | 'login granted'
  | 'sent to token host'
  | 'token host answered'
  | 'signed'
  | 'audited'
  | 'reply sent';

const steps = channel(REQUEST_STEP_CHANNEL);

export function traceStep(step: RequestStep): void {
  if (steps.hasSubscribers) steps.publish({ step, at: performance.now() });
}
