/**
 * The baseline: pkcs11js called directly in the benchmark process, no agent code.
 * One session, logged in once, key handles looked up once, so a sign is exactly
 * C_SignInit + C_Sign.
 */
import pkcs11js from 'pkcs11js';

export type RawMechanism = 'RSA_PKCS' | 'ECDSA';

export class RawToken {
  readonly #p11 = new pkcs11js.PKCS11();
  readonly #session: pkcs11js.Handle;
  readonly #keys = new Map<string, pkcs11js.Handle>();

  /**
   * Loads `modulePath`, opens a session on the token labelled `label` and logs in.
   * SoftHSM reads SOFTHSM2_CONF at C_Initialize, so set it in process.env first.
   * Throws if the token is not there or a PKCS#11 call fails.
   */
  constructor(modulePath: string, label: string, pin: string) {
    this.#p11.load(modulePath);
    this.#p11.C_Initialize();
    const slot = this.#p11.C_GetSlotList(true).find((s) => this.#p11.C_GetTokenInfo(s).label.trim() === label);
    if (!slot) throw new Error(`token ${label} not found`);
    this.#session = this.#p11.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION);
    this.#p11.C_Login(this.#session, pkcs11js.CKU_USER, pin);
  }

  /** Signs `data` (a DigestInfo for RSA_PKCS, a hash for ECDSA) with the private key whose CKA_ID is `ckaId` (hex). */
  sign(ckaId: string, mechanism: RawMechanism, data: Buffer): Buffer {
    const mech = mechanism === 'RSA_PKCS' ? pkcs11js.CKM_RSA_PKCS : pkcs11js.CKM_ECDSA;
    this.#p11.C_SignInit(this.#session, { mechanism: mech }, this.#key(ckaId));
    return this.#p11.C_Sign(this.#session, data, Buffer.alloc(512));
  }

  close(): void {
    this.#p11.C_CloseSession(this.#session);
    this.#p11.C_Finalize();
    this.#p11.close();
  }

  #key(ckaId: string): pkcs11js.Handle {
    const cached = this.#keys.get(ckaId);
    if (cached) return cached;
    this.#p11.C_FindObjectsInit(this.#session, [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
      { type: pkcs11js.CKA_ID, value: Buffer.from(ckaId, 'hex') },
    ]);
    const [key] = this.#p11.C_FindObjects(this.#session, 1);
    this.#p11.C_FindObjectsFinal(this.#session);
    if (!key) throw new Error(`no private key with CKA_ID ${ckaId}`);
    this.#keys.set(ckaId, key);
    return key;
  }
}
