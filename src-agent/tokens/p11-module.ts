import { X509Certificate } from 'node:crypto';
import pkcs11js from 'pkcs11js';
import { AssistantError } from '../protocol/errors.js';
import { CKF } from './ck-flags.js';
import { ckrCodeOf, ckrError, ckrName } from './ckr.js';
import { ecdsaRawToDer } from './ecdsa.js';
import { certSm2Point, matchSm2Key, sm2Misconfigured, sm2SignatureDer, sm2Unsupported, ulongOf, type KeyCandidate, type Sm2Setting } from './p11-sm2.js';
import type { RawCert, RawDataObject, RawModuleInfo, RawObjects, RawSlot, TraceEntry } from './host-protocol.js';
import type { SignMechanism } from './types.js';
import { CallTrace } from './call-trace.js';

type Handle = Buffer;
const CKM_NAMES = new Map<number, string>(
  Object.entries(pkcs11js)
    .filter(([name, value]) => name.startsWith('CKM_') && typeof value === 'number')
    .map(([name, value]) => [value as number, name]),
);
/** Constants pkcs11js's typings lack (values from the PKCS#11 v2.40 header). */
const CKS_RO_USER_FUNCTIONS = 1;
const CKS_RW_USER_FUNCTIONS = 3;
const trim = (s: string): string => s.replace(/[\s\0]+$/u, '');
const version = (v: { major: number; minor: number }): string => `${v.major}.${v.minor}`;

/**
 * One PKCS#11 module, driven synchronously through pkcs11js. Lives only in a
 * token host process: a vendor module that crashes takes this process down,
 * not the agent. One session per slot, opened lazily and reused.
 */
export class P11Module {
  readonly #p11 = new pkcs11js.PKCS11();
  readonly #sessions = new Map<string, Handle>();
  readonly #slots = new Map<string, Handle>();
  readonly #keys = new Map<string, Handle>();
  readonly #trace: CallTrace;

  /** `sm2`: the vendor table's SM2 constants for this module (p11-sm2.ts); without them SM2 certificates cannot sign. */
  constructor(readonly path: string, trace = false, private readonly sm2: Sm2Setting = {}) {
    this.#trace = new CallTrace(trace);
  }

  /** Loads and initializes the module. Throws AssistantError (MODULE_FAILED) with a cause in English. */
  open(): void {
    try {
      this.#p11.load(this.path);
    } catch (error) {
      throw new AssistantError('MODULE_FAILED', `cannot load ${this.path}: ${(error as Error).message}`, { ckr: 'LOAD_FAILED' });
    }
    this.#call('C_Initialize', '', () => this.#p11.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK }));
  }

  close(): void {
    try {
      this.#p11.C_Finalize();
    } catch {
      // The process is about to exit; a module that refuses to finalize changes nothing.
    }
    this.#sessions.clear();
    this.#slots.clear();
    this.#keys.clear();
  }

  /** C_Finalize + C_Initialize, so modules without hot-plug see new tokens. Drops every session. */
  reinit(): void {
    this.close();
    this.#call('C_Initialize', '', () => this.#p11.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK }));
  }

  info(): RawModuleInfo {
    const info = this.#call('C_GetInfo', '', () => this.#p11.C_GetInfo());
    return {
      manufacturer: trim(info.manufacturerID),
      description: trim(info.libraryDescription),
      cryptokiVersion: version(info.cryptokiVersion),
      libraryVersion: version(info.libraryVersion),
    };
  }

  slots(withMechanisms = false): RawSlot[] {
    const handles = this.#call('C_GetSlotList', 'tokenPresent=false', () => this.#p11.C_GetSlotList(false));
    const out: RawSlot[] = [];
    for (const handle of handles) {
      const slotId = handle.toString('hex');
      this.#slots.set(slotId, handle);
      const slot = this.#call('C_GetSlotInfo', slotId, () => this.#p11.C_GetSlotInfo(handle));
      const present = (slot.flags & CKF.TOKEN_PRESENT) !== 0;
      const entry: RawSlot = { slotId, description: trim(slot.slotDescription), tokenPresent: present };
      if (present) {
        const t = this.#call('C_GetTokenInfo', slotId, () => this.#p11.C_GetTokenInfo(handle));
        // An uninitialized token (e.g. SoftHSM's free slot) is no key a user can use.
        if ((t.flags & CKF.TOKEN_INITIALIZED) === 0) entry.tokenPresent = false;
        else
          entry.token = {
            label: trim(t.label),
            manufacturer: trim(t.manufacturerID),
            model: trim(t.model),
            serial: trim(t.serialNumber),
            flags: t.flags,
            minPinLen: t.minPinLen,
            maxPinLen: t.maxPinLen,
          };
        if (withMechanisms) {
          const list = this.#call('C_GetMechanismList', slotId, () => this.#p11.C_GetMechanismList(handle));
          const sm2 = this.sm2.params && ulongOf(this.sm2.params.signMechanism);
          // A vendor mechanism has no name in pkcs11js: the vendor table's SM2 one is named after its use.
          entry.mechanisms = list.map((m) => CKM_NAMES.get(m) ?? (m === sm2 ? `SM2(0x${m.toString(16)})` : `0x${m.toString(16)}`));
        }
      }
      out.push(entry);
    }
    return out;
  }

  /** Certificates and data objects visible in the slot's session (private ones only when logged in). */
  objects(slotId: string): RawObjects {
    const session = this.#session(slotId);
    const loggedIn = this.loginState(slotId);
    const certHandles = this.#find(session, [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_CERTIFICATE }]);
    const keys = this.#keyObjects(session, pkcs11js.CKO_PRIVATE_KEY);
    const certs: RawCert[] = certHandles.map((h) => {
      const [id, label, value] = this.#attrs(session, h, [pkcs11js.CKA_ID, pkcs11js.CKA_LABEL, pkcs11js.CKA_VALUE]);
      const category = this.#optionalUlong(session, h, pkcs11js.CKA_CERTIFICATE_CATEGORY);
      const ckaId = (id ?? Buffer.alloc(0)).toString('hex');
      const der = value ?? Buffer.alloc(0);
      return { ckaId, label: (label ?? Buffer.alloc(0)).toString('utf8'), der, category, hasPrivateKey: this.#matchKey(session, keys, ckaId, der) !== undefined };
    });
    const dataHandles = this.#find(session, [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_DATA }]);
    const data: RawDataObject[] = dataHandles.map((h) => {
      const [label, app, oid, value] = this.#attrs(session, h, [pkcs11js.CKA_LABEL, pkcs11js.CKA_APPLICATION, pkcs11js.CKA_OBJECT_ID, pkcs11js.CKA_VALUE]);
      return {
        label: (label ?? Buffer.alloc(0)).toString('utf8'),
        application: (app ?? Buffer.alloc(0)).toString('utf8'),
        objectId: (oid ?? Buffer.alloc(0)).toString('hex'),
        value: value ?? Buffer.alloc(0),
      };
    });
    return { certs, data, loggedIn };
  }

  /** C_Login as the user. The PIN buffer is zeroed here, whatever happens. */
  login(slotId: string, pin: Uint8Array): void {
    const session = this.#session(slotId);
    try {
      // pkcs11js takes the PIN only as a JS string; it lives for this one call.
      // An empty PIN means a PIN-pad reader (CKF_PROTECTED_AUTHENTICATION_PATH): C_Login with no PIN.
      const text = pin.byteLength ? Buffer.from(pin.buffer, pin.byteOffset, pin.byteLength).toString('utf8') : undefined;
      this.#call('C_Login', `${slotId} CKU_USER pin=${text === undefined ? 'NULL (PIN pad)' : '[redacted]'}`, () => this.#p11.C_Login(session, pkcs11js.CKU_USER, text));
    } catch (error) {
      if (AssistantError.is(error) && error.details.ckr === 'CKR_USER_ALREADY_LOGGED_IN') return;
      throw error;
    } finally {
      pin.fill(0);
    }
  }

  logout(slotId: string): void {
    const session = this.#session(slotId);
    try {
      this.#call('C_Logout', slotId, () => this.#p11.C_Logout(session));
    } catch (error) {
      if (!(AssistantError.is(error) && error.details.ckr === 'CKR_USER_NOT_LOGGED_IN')) throw error;
    }
    for (const key of this.#keys.keys()) if (key.startsWith(`${slotId}/`)) this.#keys.delete(key);
  }

  loginState(slotId: string): boolean {
    const session = this.#session(slotId);
    const info = this.#call('C_GetSessionInfo', slotId, () => this.#p11.C_GetSessionInfo(session));
    return info.state === CKS_RW_USER_FUNCTIONS || info.state === CKS_RO_USER_FUNCTIONS;
  }

  /**
   * Raw signature: RSA PKCS#1 v1.5 over `data` (a DigestInfo), ECDSA over `data` (a hash), or SM2
   * over `data` (the 32-byte e) with the vendor table's mechanism; ECDSA and SM2 come back DER.
   * @throws AssistantError UNSUPPORTED_ALGORITHM (SM2 without vendor constants), KEY_NOT_FOUND, CKR errors.
   */
  sign(slotId: string, ckaId: string, certDer: Uint8Array, mechanism: SignMechanism, data: Uint8Array): Buffer {
    const mech = this.#mechanism(mechanism, data);
    const session = this.#session(slotId);
    const cacheKey = `${slotId}/${ckaId}`;
    let key = this.#keys.get(cacheKey);
    if (!key) {
      key = this.#matchKey(session, this.#keyObjects(session, pkcs11js.CKO_PRIVATE_KEY), ckaId, Buffer.from(certDer));
      if (!key) throw new AssistantError('KEY_NOT_FOUND', `no private key for CKA_ID ${ckaId}`);
      this.#keys.set(cacheKey, key);
    }
    const input = Buffer.from(data);
    const handle = key;
    try {
      this.#call('C_SignInit', `${slotId} ${mech.name} key=${ckaId}`, () => this.#p11.C_SignInit(session, { mechanism: mech.value }, handle));
      const out = this.#call('C_Sign', `${slotId} ${input.length} bytes`, () => this.#p11.C_Sign(session, input, Buffer.alloc(1024)));
      if (mechanism === 'ECDSA') return ecdsaRawToDer(out);
      return this.sm2.params && mechanism === 'SM2_SM3' ? sm2SignatureDer(out, this.sm2.params) : out;
    } catch (error) {
      this.#keys.delete(cacheKey);
      throw error;
    }
  }

  takeTrace(): TraceEntry[] {
    return this.#trace.take();
  }

  #session(slotId: string): Handle {
    const existing = this.#sessions.get(slotId);
    if (existing) return existing;
    let slot = this.#slots.get(slotId);
    if (!slot) {
      this.slots();
      slot = this.#slots.get(slotId);
    }
    if (!slot) throw new AssistantError('TOKEN_REMOVED', `slot ${slotId} is gone`);
    const handle = slot;
    const flags = pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION;
    const session = this.#call('C_OpenSession', slotId, () => this.#p11.C_OpenSession(handle, flags));
    this.#sessions.set(slotId, session);
    return session;
  }

  #find(session: Handle, template: pkcs11js.Template): Handle[] {
    this.#call('C_FindObjectsInit', '', () => this.#p11.C_FindObjectsInit(session, template));
    try {
      return this.#call('C_FindObjects', '', () => this.#p11.C_FindObjects(session, 256));
    } finally {
      this.#p11.C_FindObjectsFinal(session);
    }
  }

  #attrs(session: Handle, handle: Handle, types: number[]): (Buffer | undefined)[] {
    return types.map((type) => {
      try {
        const [attr] = this.#p11.C_GetAttributeValue(session, handle, [{ type }]);
        return attr?.value as Buffer | undefined;
      } catch {
        return undefined; // attribute absent or sensitive on this module
      }
    });
  }

  #optionalUlong(session: Handle, handle: Handle, type: number): number | undefined {
    const [value] = this.#attrs(session, handle, [type]);
    return value && value.length >= 4 ? value.readUInt32LE(0) : undefined;
  }

  /** The mechanism for a sign request: SM2 only with the vendor's constants, over a 32-byte e. */
  #mechanism(mechanism: SignMechanism, data: Uint8Array): { value: number; name: string } {
    if (mechanism === 'RSA_PKCS') return { value: pkcs11js.CKM_RSA_PKCS, name: 'CKM_RSA_PKCS' };
    if (mechanism === 'ECDSA') return { value: pkcs11js.CKM_ECDSA, name: 'CKM_ECDSA' };
    if (this.sm2.error) throw sm2Misconfigured(this.sm2.error);
    if (!this.sm2.params) throw sm2Unsupported(this.path);
    if (data.length !== 32) throw new AssistantError('BAD_REQUEST', `SM2 signs a 32-byte e, not ${data.length} bytes`);
    return { value: ulongOf(this.sm2.params.signMechanism), name: `SM2(${this.sm2.params.signMechanism})` };
  }

  /** Key objects of a class; their EC attributes only when the module has SM2 constants (nothing else needs them). */
  #keyObjects(session: Handle, cls: number): (KeyCandidate & { modulus?: Buffer })[] {
    const ec = this.sm2.params ? [pkcs11js.CKA_KEY_TYPE, pkcs11js.CKA_EC_PARAMS, pkcs11js.CKA_EC_POINT] : [];
    return this.#find(session, [{ type: pkcs11js.CKA_CLASS, value: cls }]).map((handle) => {
      const [id, modulus, keyType, ecParams, ecPoint] = this.#attrs(session, handle, [pkcs11js.CKA_ID, pkcs11js.CKA_MODULUS, ...ec]);
      return { handle, ckaId: (id ?? Buffer.alloc(0)).toString('hex'), modulus, keyType: keyType && keyType.length >= 4 ? keyType.readUInt32LE(0) : undefined, ecParams, ecPoint };
    });
  }

  /**
   * The private key for a certificate: same CKA_ID first, then by public key: the SM2 point
   * (vendor SM2 key type; via the public key object) or the RSA modulus.
   */
  #matchKey(session: Handle, keys: (KeyCandidate & { modulus?: Buffer })[], ckaId: string, certDer: Buffer): Handle | undefined {
    const byId = ckaId ? keys.find((k) => k.ckaId === ckaId) : undefined;
    if (byId) return byId.handle;
    const point = this.sm2.params ? certSm2Point(certDer) : undefined;
    if (point && this.sm2.params) return matchSm2Key(keys, this.#keyObjects(session, pkcs11js.CKO_PUBLIC_KEY), point, this.sm2.params);
    let n: string | undefined;
    try {
      n = new X509Certificate(certDer).publicKey.export({ format: 'jwk' }).n;
    } catch {
      return undefined;
    }
    if (!n) return undefined;
    const modulus = Buffer.from(n, 'base64url').toString('hex');
    return keys.find((k) => k.modulus && k.modulus.toString('hex').replace(/^(00)+/, '') === modulus)?.handle;
  }

  /** Runs one PKCS#11 call, records it in the trace, and maps CKR errors to AssistantError. */
  #call<T>(fn: string, args: string, body: () => T): T {
    const started = performance.now();
    let rv = 'CKR_OK';
    try {
      return body();
    } catch (error) {
      const code = ckrCodeOf(error);
      if (code === undefined) {
        rv = 'ERROR';
        throw new AssistantError('MODULE_FAILED', `${fn}: ${(error as Error).message}`);
      }
      rv = ckrName(code);
      throw ckrError(code, fn);
    } finally {
      this.#trace.record(fn, args, rv, started);
    }
  }
}
