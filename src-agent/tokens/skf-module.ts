import { AssistantError } from '../protocol/errors.js';
import { SKF_SIGNER_RECHECK_MS } from '../limits.js';
import { ecdsaRawToDer } from './ecdsa.js';
import type { RawCert, RawDataObject, RawModuleInfo, RawObjects, RawSlot, RawTokenInfo, TraceEntry } from './host-protocol.js';
import { CONTAINER_TYPE, DEVINFO_BUFFER_BYTES, ECC_SIGNATURE_BLOB_BYTES, SAR, USER_TYPE, cName, deviceAlgorithms, skfText, type SkfHandle } from './skf-library.js';
import { CKF } from './ck-flags.js';
import type { SignMechanism } from './types.js';
import { MAX_OBJECT_BYTES, SkfCalls } from './skf-calls.js';

/** Suffixes of a certificate's CKA_ID stand-in: `<container name>:sign` / `:enc` (hex). */
const SIGN_SUFFIX = ':sign';
const ENC_SUFFIX = ':enc';

interface Device {
  raw: Buffer;
  handle: SkfHandle;
}

/** One application of one device: a token to the rest of the agent (each application has its own user PIN). */
interface AppSlot {
  device: Device;
  raw: Buffer;
  handle: SkfHandle;
  loggedIn: boolean;
  /**
   * Containers kept open for signing, by hex container name, with the signing
   * certificate found in them when opened. On a USB key every open and every
   * certificate read is a round of APDUs; PKCS#11 keeps key handles the same way.
   */
  signers: Map<string, { handle: SkfHandle; certDer: Buffer; checkedAt: number }>;
}

const hex = (b: Buffer): string => b.toString('hex');

/**
 * One SKF library (GM/T 0016), driven through koffi, answering the same host
 * operations as {@link P11Module}. Devices → applications → containers map to
 * tokens (one per device application, slot id `<hex device>.<hex app>`) and
 * certificates: a container's signing certificate signs (`SM2_SM3` for ECC
 * containers, `RSA_PKCS` for RSA ones); its encryption certificate is listed
 * and never signs. Lives only in a token host process.
 */
export class SkfModule {
  readonly #skf: SkfCalls;
  readonly #devices = new Map<string, Device>();
  readonly #apps = new Map<string, AppSlot>();

  constructor(readonly path: string, trace = false) {
    this.#skf = new SkfCalls(path, trace);
  }

  /** Loads the library. Throws AssistantError MODULE_FAILED (`ckr: LOAD_FAILED`). */
  open(): void {
    this.#skf.load();
  }

  close(): void {
    for (const app of this.#apps.values()) this.#closeApp(app);
    for (const dev of this.#devices.values()) this.#skf.quiet(() => this.#skf.f.SKF_DisConnectDev(dev.handle));
    this.#apps.clear();
    this.#devices.clear();
  }

  /** SKF enumerates devices live; re-initializing only drops handles and logins. */
  reinit(): void {
    this.close();
  }

  info(): RawModuleInfo {
    return { manufacturer: 'SKF', description: `SKF (GM/T 0016) ${this.path}`, cryptokiVersion: 'SKF', libraryVersion: '' };
  }

  /** One slot per device application; devices that went away lose their handles. */
  slots(withMechanisms = false): RawSlot[] {
    const names = this.#skf.list('SKF_EnumDev', (buf, size) => this.#skf.f.SKF_EnumDev(1, buf, size));
    const present = new Set(names.map(hex));
    for (const [id, dev] of this.#devices) if (!present.has(id)) this.#dropDevice(id, dev);
    const out: RawSlot[] = [];
    for (const raw of names) {
      const dev = this.#device(raw);
      if (!dev) continue;
      const info = Buffer.alloc(DEVINFO_BUFFER_BYTES);
      if (this.#skf.call('SKF_GetDevInfo', skfText(raw), () => this.#skf.f.SKF_GetDevInfo(dev.handle, info), true) !== SAR.OK) continue;
      // DEVINFO: Version(2) Manufacturer[64] Issuer[64] Label[32] SerialNumber[32] …
      const manufacturer = skfText(info.subarray(2, 66));
      const label = skfText(info.subarray(130, 162)) || skfText(raw);
      const serial = skfText(info.subarray(162, 194));
      const apps = this.#skf.list('SKF_EnumApplication', (buf, size) => this.#skf.f.SKF_EnumApplication(dev.handle, buf, size));
      for (const appRaw of apps) {
        const slotId = `${hex(raw)}.${hex(appRaw)}`;
        const app = this.#app(slotId, dev, appRaw);
        const token: RawTokenInfo = {
          label: apps.length > 1 ? `${label} ${skfText(appRaw)}` : label,
          manufacturer,
          model: 'SKF',
          serial: apps.length > 1 ? `${serial}/${skfText(appRaw)}` : serial,
          flags: CKF.TOKEN_INITIALIZED | CKF.LOGIN_REQUIRED | CKF.USER_PIN_INITIALIZED,
          minPinLen: 6,
          maxPinLen: 16,
        };
        if (app) this.#pinInfo(app, token);
        out.push({ slotId, description: skfText(raw), tokenPresent: app !== undefined, ...(app ? { token } : {}), ...(withMechanisms ? { mechanisms: deviceAlgorithms(info) } : {}) });
      }
    }
    return out;
  }

  /**
   * Certificates of every container (signing ones with a key, encryption ones without), and application
   * files as data objects. A container whose type the library cannot tell (some fail SKF_GetContainerType)
   * is taken to hold the key of its signing certificate: the signing call then has the last word.
   */
  objects(slotId: string): RawObjects {
    const app = this.#slot(slotId);
    const certs: RawCert[] = [];
    const signIds: string[] = [];
    for (const conRaw of this.#skf.list('SKF_EnumContainer', (buf, size) => this.#skf.f.SKF_EnumContainer(app.handle, buf, size))) {
      this.#withContainer(app, conRaw, (con) => {
        const type: [number] = [CONTAINER_TYPE.EMPTY];
        const typeKnown = this.#skf.call('SKF_GetContainerType', skfText(conRaw), () => this.#skf.f.SKF_GetContainerType(con, type), true) === SAR.OK;
        const hasKey = !typeKnown || type[0] !== CONTAINER_TYPE.EMPTY;
        for (const sign of [true, false]) {
          const der = this.#skf.exportCertificate(con, conRaw, sign);
          if (!der) continue;
          const ckaId = hex(Buffer.concat([conRaw, Buffer.from(sign ? SIGN_SUFFIX : ENC_SUFFIX)]));
          if (sign) signIds.push(ckaId);
          certs.push({ ckaId, label: `${skfText(conRaw)}${sign ? '（签名）' : '（加密）'}`, der, hasPrivateKey: sign && hasKey, privateKeyKnown: true });
        }
      });
    }
    return { certs, data: this.#files(app, signIds), loggedIn: app.loggedIn };
  }

  /** SKF_VerifyPIN with the user PIN; the PIN buffer is zeroed here, whatever happens. */
  login(slotId: string, pin: Uint8Array): void {
    const bytes = Buffer.alloc(pin.byteLength + 1);
    try {
      const app = this.#slot(slotId);
      bytes.set(pin);
      const retry: [number] = [0];
      this.#skf.call('SKF_VerifyPIN', `${slotId} USER_TYPE pin=[redacted]`, () => this.#skf.f.SKF_VerifyPIN(app.handle, USER_TYPE, bytes, retry));
      app.loggedIn = true;
    } finally {
      bytes.fill(0);
      pin.fill(0);
    }
  }

  logout(slotId: string): void {
    const app = this.#slot(slotId);
    this.#skf.call('SKF_ClearSecureState', slotId, () => this.#skf.f.SKF_ClearSecureState(app.handle), true);
    app.loggedIn = false;
    this.#closeSigners(app);
  }

  loginState(slotId: string): boolean {
    return this.#apps.get(slotId)?.loggedIn ?? false;
  }

  /**
   * `SM2_SM3`: SKF_ECCSignData over `data`, the 32-byte e = SM3(Z ‖ M) the agent
   * computed; returns DER `SEQUENCE { r, s }` (GM/T 0009). `RSA_PKCS`:
   * SKF_RSASignData over a DER DigestInfo, which the device pads (PKCS#1 v1.5
   * type 1) and signs; returns the modulus-length signature. A mechanism the
   * container's key cannot do is the device's to refuse (SAR_KEYNOTFOUNTERR →
   * KEY_NOT_FOUND). Encryption certificates never sign.
   * @throws AssistantError CERT_UNUSABLE (encryption certificate), UNSUPPORTED_ALGORITHM, KEY_NOT_FOUND.
   */
  sign(slotId: string, ckaId: string, certDer: Uint8Array, mechanism: SignMechanism, data: Uint8Array): Buffer {
    const app = this.#slot(slotId);
    const id = Buffer.from(ckaId, 'hex');
    if (id.toString('latin1').endsWith(ENC_SUFFIX)) {
      throw new AssistantError('CERT_UNUSABLE', 'an SKF encryption certificate never signs', { detailZh: '加密证书不能用于签名，请选择签名证书' });
    }
    if (!id.toString('latin1').endsWith(SIGN_SUFFIX)) throw new AssistantError('KEY_NOT_FOUND', `not an SKF certificate id: ${ckaId}`);
    const conRaw = id.subarray(0, id.length - SIGN_SUFFIX.length);
    const con = this.#signer(app, conRaw, Buffer.from(certDer));
    try {
      return this.#signWith(con, conRaw, mechanism, Buffer.from(data));
    } catch (error) {
      // Whatever went wrong, the next call opens the container afresh and reads its certificate again.
      this.#closeSigner(app, hex(conRaw));
      throw error;
    }
  }

  takeTrace(): TraceEntry[] {
    return this.#skf.takeTrace();
  }

  #signWith(con: SkfHandle, conRaw: Buffer, mechanism: SignMechanism, input: Buffer): Buffer {
    if (mechanism === 'SM2_SM3') {
      if (input.length !== 32) throw new AssistantError('BAD_REQUEST', `SM2 signs a 32-byte digest, got ${input.length}`);
      const blob = Buffer.alloc(ECC_SIGNATURE_BLOB_BYTES);
      this.#skf.call('SKF_ECCSignData', `${skfText(conRaw)} ${input.length} bytes`, () => this.#skf.f.SKF_ECCSignData(con, input, input.length, blob));
      // r and s are right-aligned in 64-byte fields; SM2 values are 32 bytes.
      return ecdsaRawToDer(Buffer.concat([blob.subarray(32, 64), blob.subarray(96, 128)]));
    }
    if (mechanism === 'RSA_PKCS' && this.#skf.f.SKF_RSASignData) {
      const rsaSign = this.#skf.f.SKF_RSASignData;
      const out = Buffer.alloc(512);
      const size: [number] = [out.length];
      this.#skf.call('SKF_RSASignData', `${skfText(conRaw)} ${input.length} bytes`, () => rsaSign(con, input, input.length, out, size));
      return out.subarray(0, size[0]);
    }
    throw new AssistantError('UNSUPPORTED_ALGORITHM', `SKF provider cannot sign with ${mechanism}`);
  }

  /**
   * The open container holding `certDer` as its signing certificate: kept open
   * from an earlier call, its certificate read again once SKF_SIGNER_RECHECK_MS
   * have passed, or opened and checked now.
   */
  #signer(app: AppSlot, conRaw: Buffer, certDer: Buffer): SkfHandle {
    const key = hex(conRaw);
    const cached = app.signers.get(key);
    if (cached?.certDer.equals(certDer) && performance.now() - cached.checkedAt < SKF_SIGNER_RECHECK_MS) return cached.handle;
    let handle = cached?.handle;
    if (handle === undefined) {
      const cell: [SkfHandle] = [null];
      this.#skf.call('SKF_OpenContainer', skfText(conRaw), () => this.#skf.f.SKF_OpenContainer(app.handle, cName(conRaw), cell));
      handle = cell[0];
    }
    app.signers.set(key, { handle, certDer, checkedAt: performance.now() });
    if (!this.#skf.exportCertificate(handle, conRaw, true)?.equals(certDer)) {
      this.#closeSigner(app, key);
      throw new AssistantError('KEY_NOT_FOUND', 'the container no longer holds this signing certificate');
    }
    return handle;
  }

  #closeSigner(app: AppSlot, key: string): void {
    const signer = app.signers.get(key);
    if (!signer) return;
    app.signers.delete(key);
    this.#skf.quiet(() => this.#skf.call('SKF_CloseContainer', key, () => this.#skf.f.SKF_CloseContainer(signer.handle), true));
  }

  #closeSigners(app: AppSlot): void {
    for (const key of [...app.signers.keys()]) this.#closeSigner(app, key);
  }

  #closeApp(app: AppSlot): void {
    this.#closeSigners(app);
    this.#skf.quiet(() => this.#skf.f.SKF_CloseApplication(app.handle));
  }

  #device(raw: Buffer): Device | undefined {
    const id = hex(raw);
    const existing = this.#devices.get(id);
    if (existing) return existing;
    const handle: [SkfHandle] = [null];
    if (this.#skf.call('SKF_ConnectDev', skfText(raw), () => this.#skf.f.SKF_ConnectDev(cName(raw), handle), true) !== SAR.OK) return undefined;
    const dev = { raw, handle: handle[0] };
    this.#devices.set(id, dev);
    return dev;
  }

  #dropDevice(id: string, dev: Device): void {
    for (const [slotId, app] of this.#apps) {
      if (app.device !== dev) continue;
      this.#closeApp(app);
      this.#apps.delete(slotId);
    }
    this.#skf.quiet(() => this.#skf.f.SKF_DisConnectDev(dev.handle));
    this.#devices.delete(id);
  }

  #app(slotId: string, device: Device, raw: Buffer): AppSlot | undefined {
    const existing = this.#apps.get(slotId);
    if (existing) return existing;
    const handle: [SkfHandle] = [null];
    if (this.#skf.call('SKF_OpenApplication', skfText(raw), () => this.#skf.f.SKF_OpenApplication(device.handle, cName(raw), handle), true) !== SAR.OK) return undefined;
    const app: AppSlot = { device, raw, handle: handle[0], loggedIn: false, signers: new Map() };
    this.#apps.set(slotId, app);
    return app;
  }

  #slot(slotId: string): AppSlot {
    let app = this.#apps.get(slotId);
    if (!app) {
      this.slots();
      app = this.#apps.get(slotId);
    }
    if (!app) throw new AssistantError('TOKEN_REMOVED', `SKF application ${slotId} is gone`);
    return app;
  }

  /** Retry counter → PKCS#11-style flags, plus the exact count SKF reports. */
  #pinInfo(app: AppSlot, token: RawTokenInfo): void {
    const max: [number] = [0];
    const remain: [number] = [0];
    const isDefault: [number] = [0];
    if (this.#skf.call('SKF_GetPINInfo', 'USER_TYPE', () => this.#skf.f.SKF_GetPINInfo(app.handle, USER_TYPE, max, remain, isDefault), true) !== SAR.OK) return;
    const left = remain[0];
    token.pinRetries = left;
    if (left === 0) token.flags |= CKF.USER_PIN_LOCKED;
    else if (left === 1) token.flags |= CKF.USER_PIN_FINAL_TRY;
    if (left > 0 && left < max[0]) token.flags |= CKF.USER_PIN_COUNT_LOW;
  }

  #withContainer<T>(app: AppSlot, raw: Buffer, body: (con: SkfHandle) => T): T {
    const handle: [SkfHandle] = [null];
    this.#skf.call('SKF_OpenContainer', skfText(raw), () => this.#skf.f.SKF_OpenContainer(app.handle, cName(raw), handle));
    try {
      return body(handle[0]);
    } finally {
      this.#skf.quiet(() => this.#skf.f.SKF_CloseContainer(handle[0]));
    }
  }

  /**
   * Application files as data objects. A file named `seal` (or `seal.<container>`)
   * is the seal image of the signing certificates (of that container): its label
   * is `seal:<ckaId>`, the convention of the certificate service.
   */
  #files(app: AppSlot, signIds: string[]): RawDataObject[] {
    const enumFiles = this.#skf.f.SKF_EnumFiles;
    const readFile = this.#skf.f.SKF_ReadFile;
    if (!enumFiles || !readFile) return [];
    const out: RawDataObject[] = [];
    for (const nameRaw of this.#skf.list('SKF_EnumFiles', (buf, size) => enumFiles(app.handle, buf, size), true)) {
      const value = Buffer.alloc(MAX_OBJECT_BYTES);
      const got: [number] = [0];
      if (this.#skf.call('SKF_ReadFile', skfText(nameRaw), () => readFile(app.handle, cName(nameRaw), 0, value.length, value, got), true) !== SAR.OK) continue;
      const name = skfText(nameRaw);
      const data = value.subarray(0, got[0]);
      const forContainer = name.startsWith('seal.') ? hex(Buffer.concat([Buffer.from(name.slice(5)), Buffer.from(SIGN_SUFFIX)])) : undefined;
      const sealOf = name === 'seal' ? signIds : forContainer && signIds.includes(forContainer) ? [forContainer] : [];
      if (sealOf.length === 0) out.push({ label: name, application: skfText(app.raw), objectId: '', value: data });
      for (const id of sealOf) out.push({ label: `seal:${id}`, application: skfText(app.raw), objectId: '', value: data });
    }
    return out;
  }
}
