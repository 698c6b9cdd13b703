/** Shapes of the compatibility endpoint's function table. */
import type { z } from 'zod';
import type { ApiServices } from '../context.js';
import type { Session } from '../session.js';

/** What a function's `retVal` is, as the incumbent client scripts convert it (`"true"` → true, `Number(retVal)`). */
export type XtxReturn = 'string' | 'bool' | 'number';

/** Per-connection state of the endpoint. */
export interface XtxState {
  /** SOF_GetLastError: the code of the last failed call on this connection (0 after a success). */
  lastError: number;
  /** SOF_SetSignMethod's choice (GM/T 0006 id); undefined = by the certificate's key. */
  signMethod?: number;
}

export interface XtxContext {
  session: Session;
  services: ApiServices;
  state: XtxState;
}

/** One SOF_* function: its `param` tuple, what it returns, whether it needs a trusted or allowed origin. */
export interface XtxFunction<P extends z.ZodType = z.ZodType> {
  params: P;
  returns: XtxReturn;
  /** `public`: answered for any origin (nothing about keys or certificates); `protected`: trusted origins, or after the user's consent. */
  access: 'public' | 'protected';
  run(args: z.output<P>, ctx: XtxContext): Promise<string | boolean | number>;
}

/** Identity helper that keeps each entry's parameter type. */
export function xtxFunction<P extends z.ZodType>(f: XtxFunction<P>): XtxFunction {
  return f as unknown as XtxFunction;
}

/** A function's failure answer with its own SOF_GetLastError code (a verification that does not hold). Never leaves the endpoint as text. */
export class XtxFailure extends Error {
  override name = 'XtxFailure';
  constructor(readonly code: number, message: string) {
    super(message);
  }
}
