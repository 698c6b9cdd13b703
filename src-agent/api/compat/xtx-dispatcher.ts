/**
 * One frame of the incumbent clients' wire protocol in, at most one reply
 * out: `{xtx_func_name, call_cmd_id, param:[…]}` → `{call_cmd_id, retVal}`.
 * The order of checks is protocol v1's: limits, function lookup, origin class,
 * params, consent, the function. A failure answers what those clients answer
 * (`""`, `"false"` or `"-1"` by the function's type) and sets the code
 * SOF_GetLastError reports. Never throws. The page's extra fields (`URL`,
 * `cookie`, `param_N`, `token`…) are dropped unread and never logged.
 */
import { z } from 'zod';
import { MAX_PENDING_PER_CONNECTION } from '../../limits.js';
import { AssistantError, toAssistantError } from '../../protocol/errors.js';
import { logger } from '../../util/log.js';
import { authorize } from '../consent-gate.js';
import type { ApiServices } from '../context.js';
import type { Session } from '../session.js';
import { SOR, SOR_OF_REASON } from './gmt0020.js';
import { XTX_FUNCTIONS } from './xtx-functions.js';
import { XtxFailure, type XtxReturn, type XtxState } from './xtx-types.js';

const log = logger('xtx');

const callId = z.union([z.string().min(1).max(64), z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)]);
/** Not strict: pages send fields of their own next to these, which are ignored. */
const frameSchema = z.object({
  xtx_func_name: z.string().min(1).max(64),
  call_cmd_id: callId,
  /** Each function's tuple checks the types; here only the count is bounded. */
  param: z.array(z.unknown()).max(16).optional(),
});

/** The answer of a failed call, by the function's return type. */
const FAILURE: Record<XtxReturn, string> = { string: '', bool: 'false', number: '-1' };

/** `{call_cmd_id, retVal}` as JSON text; retVal always a string, as the clients' scripts expect. */
export function reply(id: string | number, retVal: string): string {
  return JSON.stringify({ call_cmd_id: id, retVal });
}

/** The pushed event on key insert/remove. */
export const USBKEY_CHANGE_FRAME = reply('onUsbkeyChange', '');

function render(value: string | boolean | number): string {
  return typeof value === 'string' ? value : String(value);
}

export class XtxDispatcher {
  constructor(private readonly services: ApiServices) {}

  /** Handles one text frame; resolves to the reply, or null for a frame without a usable `call_cmd_id` (nothing to answer to). */
  async dispatch(session: Session, state: XtxState, text: string): Promise<string | null> {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      state.lastError = SOR.INDATA;
      log.info('frame refused: not JSON', { session: session.id, bytes: text.length });
      return null;
    }
    const frame = frameSchema.safeParse(raw);
    if (!frame.success) {
      state.lastError = SOR.INDATA;
      const id = typeof raw === 'object' && raw !== null ? callId.safeParse((raw as { call_cmd_id?: unknown }).call_cmd_id) : undefined;
      log.info('frame refused: malformed', { session: session.id });
      return id?.success ? reply(id.data, '') : null;
    }
    const { xtx_func_name: name, call_cmd_id: id, param } = frame.data;
    const fn = Object.hasOwn(XTX_FUNCTIONS, name) ? XTX_FUNCTIONS[name] : undefined;
    const fail = (error: unknown): string => {
      const code = error instanceof XtxFailure ? error.code : SOR_OF_REASON[toAssistantError(error).reason];
      state.lastError = code;
      const e = error instanceof XtxFailure ? undefined : toAssistantError(error);
      const fields = { origin: session.origin, session: session.id, fn: name, code: `0x${code.toString(16)}`, reason: e?.reason, error: e?.message ?? (error as Error).message };
      if (e?.reason === 'INTERNAL') log.error('call failed', { ...fields, stack: error instanceof Error ? error.stack : undefined });
      else log.info('call refused', fields);
      return reply(id, FAILURE[fn?.returns ?? 'string']);
    };
    if (!session.bucket.take()) return fail(new AssistantError('BUSY', 'request rate exceeded'));
    if (session.pending >= MAX_PENDING_PER_CONNECTION) return fail(new AssistantError('BUSY', 'too many pending requests'));
    session.pending++;
    try {
      if (!fn) throw new AssistantError('METHOD_NOT_FOUND', `unknown function ${name}`);
      if (fn.access !== 'public' && session.originClass === 'refused') throw new AssistantError('ORIGIN_NOT_ALLOWED', `origin ${session.origin} may not call ${name}`);
      const args = fn.params.safeParse(param ?? []);
      if (!args.success) throw new AssistantError('BAD_REQUEST', `bad param for ${name}: ${args.error.issues[0]?.path.join('.') ?? ''} ${args.error.issues[0]?.code ?? ''}`);
      if (fn.access !== 'public') await authorize(session, `xtx.${name}`, this.services);
      const value = await fn.run(args.data, { session, services: this.services, state });
      if (name !== 'SOF_GetLastError') state.lastError = SOR.OK;
      return reply(id, render(value));
    } catch (error) {
      return fail(error);
    } finally {
      session.pending--;
    }
  }
}
