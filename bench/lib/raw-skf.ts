/**
 * The SM2 baseline: the SKF library called directly in the benchmark process
 * through the same koffi bindings the provider uses, no token host and no
 * provider bookkeeping. Device, application and container are opened once and
 * the PIN verified once, so a sign is exactly one SKF_ECCSignData.
 */
import { cName, ECC_SIGNATURE_BLOB_BYTES, loadSkfLibrary, SAR, sarName, USER_TYPE, type SkfHandle } from '../../src-agent/tokens/skf-library.js';

export class RawSkf {
  readonly #skf: ReturnType<typeof loadSkfLibrary>;
  readonly #dev: SkfHandle;
  readonly #app: SkfHandle;
  readonly #con: SkfHandle;

  /**
   * Loads `library` (reads SKF_SOFT_DIR for skf-soft, so set it first), connects
   * `device`, opens `application`, verifies `pin` and opens `container`.
   * Throws naming the SKF call and its SAR code when one fails.
   */
  constructor(library: string, device: string, application: string, pin: string, container: string) {
    this.#skf = loadSkfLibrary(library);
    const cell: [SkfHandle] = [null];
    check('SKF_ConnectDev', this.#skf.SKF_ConnectDev(cName(Buffer.from(device)), cell));
    this.#dev = cell[0];
    check('SKF_OpenApplication', this.#skf.SKF_OpenApplication(this.#dev, cName(Buffer.from(application)), cell));
    this.#app = cell[0];
    check('SKF_VerifyPIN', this.#skf.SKF_VerifyPIN(this.#app, USER_TYPE, cName(Buffer.from(pin)), [0]));
    check('SKF_OpenContainer', this.#skf.SKF_OpenContainer(this.#app, cName(Buffer.from(container)), cell));
    this.#con = cell[0];
  }

  /** SM2 signature over the 32-byte `e` (Z already in it), as raw r‖s (32 + 32 bytes). */
  sign(e: Buffer): Buffer {
    const blob = Buffer.alloc(ECC_SIGNATURE_BLOB_BYTES);
    check('SKF_ECCSignData', this.#skf.SKF_ECCSignData(this.#con, e, e.length, blob));
    return Buffer.concat([blob.subarray(32, 64), blob.subarray(96, 128)]);
  }

  close(): void {
    this.#skf.SKF_CloseContainer(this.#con);
    this.#skf.SKF_CloseApplication(this.#app);
    this.#skf.SKF_DisConnectDev(this.#dev);
  }
}

function check(fn: string, rv: number): void {
  if (rv !== SAR.OK) throw new Error(`${fn} failed: ${sarName(rv)}`);
}
