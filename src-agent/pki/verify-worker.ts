/**
 * The child process verify.cms runs in (verify-off-thread.ts): hostile CMS
 * costs this process its time, never the agent's event loop. It ends when
 * the agent closes the IPC channel.
 */
import { AssistantError } from '../protocol/errors.js';
import { verifyCms, type VerifyCmsInput } from './cms-verify.js';

/** A request: an id and verifyCms's input (Buffers arrive as Uint8Arrays). */
export interface VerifyRequest { id: number; input: VerifyCmsInput }

const toBuffer = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

process.on('disconnect', () => process.exit(0));

process.on('message', (request: VerifyRequest) => {
  const { id, input } = request;
  const fixed: VerifyCmsInput = {
    ...input,
    signature: toBuffer(input.signature),
    hash: toBuffer(input.hash),
    trustAnchors: input.trustAnchors.map(toBuffer),
    intermediates: input.intermediates.map(toBuffer),
    ...(input.now ? { now: new Date(input.now) } : {}),
  };
  verifyCms(fixed).then(
    (result) => process.send?.({ id, result }),
    (error: unknown) => process.send?.({
      id, error: AssistantError.is(error) ? { reason: error.reason, message: error.message, details: error.details } : { reason: 'INTERNAL', message: String(error), details: {} },
    }),
  );
});
