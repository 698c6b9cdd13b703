/**
 * FFI bindings (koffi) to an SKF library (GM/T 0016-2012, 智能密码钥匙密码应用接口),
 * and the one table mapping SAR return codes to the assistant's reasons.
 * Loaded only inside a token host process, like PKCS#11 modules.
 */
import koffi from 'koffi';
import { AssistantError, type Reason } from '../protocol/errors.js';

/** Return codes the provider tells apart (GM/T 0016-2012 appendix A). */
export const SAR = {
  OK: 0,
  FAIL: 0x0a000001,
  NOTSUPPORTYETERR: 0x0a000003,
  FILEERR: 0x0a000004,
  INVALIDHANDLEERR: 0x0a000005,
  INVALIDPARAMERR: 0x0a000006,
  INDATALENERR: 0x0a000010,
  KEYNOTFOUNTERR: 0x0a00001b,
  CERTNOTFOUNTERR: 0x0a00001c,
  BUFFER_TOO_SMALL: 0x0a000020,
  DEVICE_REMOVED: 0x0a000023,
  PIN_INCORRECT: 0x0a000024,
  PIN_LOCKED: 0x0a000025,
  PIN_INVALID: 0x0a000026,
  PIN_LEN_RANGE: 0x0a000027,
  USER_ALREADY_LOGGED_IN: 0x0a000028,
  USER_NOT_LOGGED_IN: 0x0a00002d,
  APPLICATION_NOT_EXISTS: 0x0a00002e,
  FILE_NOT_EXIST: 0x0a000031,
} as const;

const SAR_NAMES = new Map<number, string>(Object.entries(SAR).map(([name, code]) => [code, `SAR_${name}`]));

/** SAR name → reason; codes not listed are MODULE_FAILED (name in `details.ckr`, never the user's message). */
const SAR_REASONS: Record<string, Reason> = {
  SAR_PIN_INCORRECT: 'PIN_INCORRECT',
  SAR_PIN_INVALID: 'PIN_INCORRECT',
  SAR_PIN_LOCKED: 'PIN_LOCKED',
  SAR_PIN_LEN_RANGE: 'PIN_LEN_RANGE',
  SAR_DEVICE_REMOVED: 'TOKEN_REMOVED',
  SAR_KEYNOTFOUNTERR: 'KEY_NOT_FOUND',
  SAR_CERTNOTFOUNTERR: 'CERT_NOT_FOUND',
  SAR_NOTSUPPORTYETERR: 'UNSUPPORTED_ALGORITHM',
};

export function sarName(code: number): string {
  return SAR_NAMES.get(code) ?? `SAR_0x${code.toString(16).padStart(8, '0')}`;
}

/** An AssistantError for a failed SKF call; the SAR name travels as `details.ckr` (the field every provider fills). */
export function sarError(code: number, fn: string): AssistantError {
  const name = sarName(code);
  return new AssistantError(SAR_REASONS[name] ?? 'MODULE_FAILED', `${fn} returned ${name}`, { ckr: name });
}

/** An opaque SKF handle (DEVHANDLE, HAPPLICATION, HCONTAINER). */
export type SkfHandle = unknown;
/** `[value]` cells koffi fills for `_Out_` / `_Inout_` parameters. */
type Cell<T> = [T];

/** The SKF functions the provider calls, with their GM/T 0016 C signatures. */
export interface SkfFunctions {
  SKF_EnumDev(present: number, list: Buffer | null, size: Cell<number>): number;
  SKF_ConnectDev(name: Buffer, dev: Cell<SkfHandle>): number;
  SKF_DisConnectDev(dev: SkfHandle): number;
  SKF_GetDevInfo(dev: SkfHandle, info: Buffer): number;
  SKF_EnumApplication(dev: SkfHandle, list: Buffer | null, size: Cell<number>): number;
  SKF_OpenApplication(dev: SkfHandle, name: Buffer, app: Cell<SkfHandle>): number;
  SKF_CloseApplication(app: SkfHandle): number;
  SKF_VerifyPIN(app: SkfHandle, type: number, pin: Buffer, retry: Cell<number>): number;
  SKF_GetPINInfo(app: SkfHandle, type: number, max: Cell<number>, remain: Cell<number>, isDefault: Cell<number>): number;
  SKF_ClearSecureState(app: SkfHandle): number;
  SKF_EnumContainer(app: SkfHandle, list: Buffer | null, size: Cell<number>): number;
  SKF_OpenContainer(app: SkfHandle, name: Buffer, con: Cell<SkfHandle>): number;
  SKF_CloseContainer(con: SkfHandle): number;
  SKF_GetContainerType(con: SkfHandle, type: Cell<number>): number;
  SKF_ExportCertificate(con: SkfHandle, signFlag: number, cert: Buffer | null, size: Cell<number>): number;
  SKF_ECCSignData(con: SkfHandle, data: Buffer, length: number, signature: Buffer): number;
}

/** Functions not every library exports (seal files, RSA). */
export interface SkfOptionalFunctions {
  SKF_EnumFiles?(app: SkfHandle, list: Buffer | null, size: Cell<number>): number;
  SKF_ReadFile?(app: SkfHandle, name: Buffer, offset: number, size: number, out: Buffer, outLen: Cell<number>): number;
  /** `signature` null asks for the length (the usual SKF size protocol). */
  SKF_RSASignData?(con: SkfHandle, data: Buffer, length: number, signature: Buffer | null, size: Cell<number>): number;
}

/** `sizeof(DEVINFO)` is 302 packed (GM/T 0016 headers use pack(1)); room for padded layouts too. */
export const DEVINFO_BUFFER_BYTES = 512;
/** ECCSIGNATUREBLOB: r and s in 64-byte fields (ECC_MAX_XCOORDINATE_BITS_LEN = 512). */
export const ECC_SIGNATURE_BLOB_BYTES = 128;
export const USER_TYPE = 1;
export const CONTAINER_TYPE = { EMPTY: 0, RSA: 1, ECC: 2 } as const;

/**
 * Algorithm identifier bits (GM/T 0006) of DEVINFO's AlgAsymCap and AlgHashCap.
 * SM2 is the 0x00020000 bit: vendors' headers disagree on the low bits of
 * SGD_SM2_1 (0x00020100 in SKF headers, 0x00020200 in GM/T 0006-2012).
 */
const ASYM_CAPS: [bit: number, name: string][] = [[0x00010000, 'SGD_RSA'], [0x00020000, 'SGD_SM2_1']];
const HASH_CAPS: [bit: number, name: string][] = [[0x00000001, 'SGD_SM3'], [0x00000002, 'SGD_SHA1'], [0x00000004, 'SGD_SHA256']];
/** Byte offsets of AlgAsymCap and AlgHashCap in the packed DEVINFO (after Version, four strings and two VERSIONs). */
const DEVINFO_ASYM_CAP = 202;
const DEVINFO_HASH_CAP = 206;

/**
 * The algorithms a DEVINFO (as filled by SKF_GetDevInfo) says the device has, e.g.
 * `['SGD_RSA', 'SGD_SM2_1', 'SGD_SM3']`. ULONGs are in native order: little-endian on every target the assistant ships for.
 */
export function deviceAlgorithms(devInfo: Buffer): string[] {
  const asym = devInfo.readUInt32LE(DEVINFO_ASYM_CAP);
  const hash = devInfo.readUInt32LE(DEVINFO_HASH_CAP);
  return [...ASYM_CAPS.filter(([bit]) => asym & bit), ...HASH_CAPS.filter(([bit]) => hash & bit)].map(([, name]) => name);
}

// GM/T 0016 ULONG and BOOL are 32-bit; names are byte strings (often GBK), passed as bytes.
const PROTOTYPES: Record<keyof SkfFunctions | keyof SkfOptionalFunctions, string> = {
  SKF_EnumDev: 'uint32 SKF_EnumDev(int32 bPresent, _Out_ uint8 *szNameList, _Inout_ uint32 *pulSize)',
  SKF_ConnectDev: 'uint32 SKF_ConnectDev(const uint8 *szName, _Out_ SKF_HANDLE *phDev)',
  SKF_DisConnectDev: 'uint32 SKF_DisConnectDev(SKF_HANDLE hDev)',
  SKF_GetDevInfo: 'uint32 SKF_GetDevInfo(SKF_HANDLE hDev, _Out_ uint8 *pDevInfo)',
  SKF_EnumApplication: 'uint32 SKF_EnumApplication(SKF_HANDLE hDev, _Out_ uint8 *szAppName, _Inout_ uint32 *pulSize)',
  SKF_OpenApplication: 'uint32 SKF_OpenApplication(SKF_HANDLE hDev, const uint8 *szAppName, _Out_ SKF_HANDLE *phApplication)',
  SKF_CloseApplication: 'uint32 SKF_CloseApplication(SKF_HANDLE hApplication)',
  SKF_VerifyPIN: 'uint32 SKF_VerifyPIN(SKF_HANDLE hApplication, uint32 ulPINType, const uint8 *szPIN, _Out_ uint32 *pulRetryCount)',
  SKF_GetPINInfo: 'uint32 SKF_GetPINInfo(SKF_HANDLE hApplication, uint32 ulPINType, _Out_ uint32 *pulMaxRetryCount, _Out_ uint32 *pulRemainRetryCount, _Out_ int32 *pbDefaultPin)',
  SKF_ClearSecureState: 'uint32 SKF_ClearSecureState(SKF_HANDLE hApplication)',
  SKF_EnumContainer: 'uint32 SKF_EnumContainer(SKF_HANDLE hApplication, _Out_ uint8 *szContainerName, _Inout_ uint32 *pulSize)',
  SKF_OpenContainer: 'uint32 SKF_OpenContainer(SKF_HANDLE hApplication, const uint8 *szContainerName, _Out_ SKF_HANDLE *phContainer)',
  SKF_CloseContainer: 'uint32 SKF_CloseContainer(SKF_HANDLE hContainer)',
  SKF_GetContainerType: 'uint32 SKF_GetContainerType(SKF_HANDLE hContainer, _Out_ uint32 *pulContainerType)',
  SKF_ExportCertificate: 'uint32 SKF_ExportCertificate(SKF_HANDLE hContainer, int32 bSignFlag, _Out_ uint8 *pbCert, _Inout_ uint32 *pulCertLen)',
  SKF_ECCSignData: 'uint32 SKF_ECCSignData(SKF_HANDLE hContainer, const uint8 *pbData, uint32 ulDataLen, _Out_ uint8 *pSignature)',
  SKF_EnumFiles: 'uint32 SKF_EnumFiles(SKF_HANDLE hApplication, _Out_ uint8 *szFileList, _Inout_ uint32 *pulSize)',
  SKF_ReadFile: 'uint32 SKF_ReadFile(SKF_HANDLE hApplication, const uint8 *szFileName, uint32 ulOffset, uint32 ulSize, _Out_ uint8 *pbOutData, _Out_ uint32 *pulOutLen)',
  SKF_RSASignData: 'uint32 SKF_RSASignData(SKF_HANDLE hContainer, const uint8 *pbData, uint32 ulDataLen, _Out_ uint8 *pbSignature, _Inout_ uint32 *pulSignLen)',
};
const OPTIONAL = new Set(['SKF_EnumFiles', 'SKF_ReadFile', 'SKF_RSASignData']);
let handleTypeDefined = false;

/**
 * Loads an SKF library and binds its functions. 32-bit Windows DLLs use
 * __stdcall (WINAPI); elsewhere the convention is the platform's default.
 * @throws AssistantError MODULE_FAILED (`ckr: LOAD_FAILED`) when the file does not load or lacks a required function.
 */
export function loadSkfLibrary(path: string): SkfFunctions & SkfOptionalFunctions {
  if (!handleTypeDefined) {
    koffi.pointer('SKF_HANDLE', koffi.opaque());
    handleTypeDefined = true;
  }
  let lib: ReturnType<typeof koffi.load>;
  try {
    lib = koffi.load(path);
  } catch (error) {
    throw new AssistantError('MODULE_FAILED', `cannot load ${path}: ${(error as Error).message}`, { ckr: 'LOAD_FAILED' });
  }
  const stdcall = process.platform === 'win32' && process.arch === 'ia32';
  const out: Record<string, unknown> = {};
  for (const [name, proto] of Object.entries(PROTOTYPES)) {
    try {
      out[name] = lib.func(stdcall ? proto.replace(/^uint32 /, 'uint32 __stdcall ') : proto);
    } catch (error) {
      if (OPTIONAL.has(name)) continue;
      throw new AssistantError('MODULE_FAILED', `${path} is not an SKF library: ${name} missing (${(error as Error).message})`, { ckr: 'LOAD_FAILED' });
    }
  }
  return out as unknown as SkfFunctions & SkfOptionalFunctions;
}

/** Splits an SKF name list (`a\0b\0\0`) into the raw names, without their NULs. */
export function splitNameList(list: Buffer): Buffer[] {
  const names: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < list.length; i++) {
    if (list[i] !== 0) continue;
    if (i === start) break;
    names.push(list.subarray(start, i));
    start = i + 1;
  }
  return names;
}

const gbk = new TextDecoder('gbk');
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Text of a fixed-size or listed SKF string: UTF-8 when it is valid UTF-8, else GBK (Windows vendors), trailing NULs and spaces cut. */
export function skfText(bytes: Buffer): string {
  const end = bytes.indexOf(0);
  const body = end >= 0 ? bytes.subarray(0, end) : bytes;
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    text = gbk.decode(body);
  }
  return text.replace(/\s+$/u, '');
}

/** The bytes to pass for a name: the raw name and its terminating NUL. */
export const cName = (raw: Buffer): Buffer => Buffer.concat([raw, Buffer.alloc(1)]);
