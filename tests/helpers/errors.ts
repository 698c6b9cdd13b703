import { AssistantError } from '../../src-agent/protocol/errors.js';

/** The AssistantError `promise` rejects with; throws when it resolves or rejects with anything else. */
export async function errorOf(promise: Promise<unknown>): Promise<AssistantError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  if (!AssistantError.is(error)) throw new Error(`expected an AssistantError, got ${String(error)}`);
  return error;
}
