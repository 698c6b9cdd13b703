import { X509Certificate } from 'node:crypto';
import { AssistantError } from '../protocol/errors.js';
import type { TraceEntry } from './host-protocol.js';
import { CallTrace } from './call-trace.js';
import { loadSkfLibrary, SAR, sarError, sarName, skfText, splitNameList, type SkfFunctions, type SkfHandle, type SkfOptionalFunctions } from './skf-library.js';

/** Largest certificate or seal file read from a key, bytes (default 256 KiB). */
export const MAX_OBJECT_BYTES = 256 * 1024;

/**
 * The calls of one loaded SKF library as the provider makes them: each one
 * traced (for `diagnose --trace`), SAR codes turned into AssistantErrors, and
 * the two-step SKF protocols (size, then data) done once here.
 */
export class SkfCalls {
  #skf: (SkfFunctions & SkfOptionalFunctions) | undefined;
  readonly #trace: CallTrace;

  constructor(readonly path: string, trace: boolean) {
    this.#trace = new CallTrace(trace);
  }

  /** Loads the library. Throws AssistantError MODULE_FAILED (`ckr: LOAD_FAILED`). */
  load(): void {
    this.#skf = loadSkfLibrary(this.path);
  }

  /** The library's functions. Throws MODULE_FAILED before {@link load}. */
  get f(): SkfFunctions & SkfOptionalFunctions {
    if (!this.#skf) throw new AssistantError('MODULE_FAILED', 'SKF library not loaded');
    return this.#skf;
  }

  /** Runs one SKF call, records it, and throws on a SAR error unless `tolerant` (then returns the code). */
  call(fn: string, args: string, body: () => number, tolerant = false): number {
    const started = performance.now();
    let rv: number;
    try {
      rv = body();
    } catch (error) {
      this.#trace.record(fn, args, 'ERROR', started);
      throw new AssistantError('MODULE_FAILED', `${fn}: ${(error as Error).message}`);
    }
    this.#trace.record(fn, args, sarName(rv), started);
    if (rv !== SAR.OK && !tolerant) throw sarError(rv, fn);
    return rv;
  }

  /** Runs an SKF name-list call twice (size, then data) and splits the result. */
  list(fn: string, call: (buf: Buffer | null, size: [number]) => number, tolerant = false): Buffer[] {
    const size: [number] = [0];
    if (this.call(fn, 'size', () => call(null, size), tolerant) !== SAR.OK || size[0] === 0) return [];
    const buf = Buffer.alloc(size[0] + 2);
    size[0] = buf.length;
    if (this.call(fn, '', () => call(buf, size), tolerant) !== SAR.OK) return [];
    return splitNameList(buf.subarray(0, size[0]));
  }

  /** Runs a closing call whose failure changes nothing (the handle of a removed key). */
  quiet(body: () => number): void {
    try {
      body();
    } catch {
      // Closing a handle of a removed key may fail; nothing depends on it.
    }
  }

  /** A container's signing or encryption certificate, or undefined when it has none. */
  exportCertificate(con: SkfHandle, conRaw: Buffer, sign: boolean): Buffer | undefined {
    const size: [number] = [0];
    const what = `${skfText(conRaw)} ${sign ? 'sign' : 'enc'}`;
    if (this.call('SKF_ExportCertificate', what, () => this.f.SKF_ExportCertificate(con, sign ? 1 : 0, null, size), true) !== SAR.OK) return undefined;
    if (size[0] === 0 || size[0] > MAX_OBJECT_BYTES) return undefined;
    const der = Buffer.alloc(size[0]);
    if (this.call('SKF_ExportCertificate', what, () => this.f.SKF_ExportCertificate(con, sign ? 1 : 0, der, size), true) !== SAR.OK) return undefined;
    try {
      new X509Certificate(der.subarray(0, size[0]));
    } catch {
      return undefined; // some keys answer with an empty or placeholder blob
    }
    return der.subarray(0, size[0]);
  }

  takeTrace(): TraceEntry[] {
    return this.#trace.take();
  }
}
