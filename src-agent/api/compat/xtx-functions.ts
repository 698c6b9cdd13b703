/**
 * The SOF_* functions of the compatibility endpoint that list keys and
 * certificates, read certificate fields and log in; signing and verifying
 * live in xtx-sign.ts. Every function goes through the same core as protocol
 * v1 (certificate service, login policy), never around it.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { dnValue, keyUsageAllowsSigning } from '../../pki/index.js';
import { AssistantError } from '../../protocol/errors.js';
import type { CertEntry } from '../../service/cert-service.js';
import { assistantVersion } from '../../version.js';
import { certInfo, certInfoByOid } from './cert-info.js';
import { SGD_SIGN_METHOD } from './gmt0020.js';
import { SIGN_FUNCTIONS } from './xtx-sign.js';
import { xtxFunction, type XtxContext, type XtxFunction } from './xtx-types.js';

/** What SOF_GetVersion answers: a client version the incumbent scripts accept (they compare it with "2.14"/"2.16"), then ours. */
export const xtxVersion = (): string => `2.18 CA-Assistant/${assistantVersion()}`;

export const certIdParam = z.string().min(1).max(200);
const certParam = z.string().min(1).max(64 * 1024);
/** Pages pass numbers as numbers or as decimal strings. */
export const intParam = z.union([z.number().int(), z.string().regex(/^-?\d{1,10}$/).transform(Number)]);
/** SOF_Login's password: accepted so that the page's call fits, never used, never kept (see docs/protocol.md). */
const ignoredPassword = z.union([z.string().max(1024), z.number()]).optional();

/** Signing certificates the page may choose: keys on a token, not the encryption half of a dual pair. */
async function signingEntries(ctx: XtxContext): Promise<CertEntry[]> {
  const entries = await ctx.services.core.certs.list();
  return entries.filter((e) => e.token.hasPrivateKey !== false && keyUsageAllowsSigning(e.details.keyUsagePresent ? e.details.keyUsage : undefined));
}

/** The name SOF_GetUserList shows for a certificate: its CN (the `||` and `&&&` separators cannot occur in it). */
function listName(entry: CertEntry): string {
  const name = dnValue(entry.details.subjectAttributes, 'CN') ?? entry.details.subject;
  return name.replace(/\|\||&&&/g, ' ');
}

async function entryOf(ctx: XtxContext, certId: string): Promise<CertEntry> {
  return ctx.services.core.certs.get(certId);
}

function keyUse(ctx: XtxContext): { origin: string; trusted: boolean; signal: AbortSignal } {
  return { origin: ctx.session.origin, trusted: ctx.session.trusted, signal: ctx.session.signal };
}

const BASE_FUNCTIONS: Record<string, XtxFunction> = {
  SOF_GetVersion: xtxFunction({ params: z.tuple([]), returns: 'string', access: 'public', run: async () => xtxVersion() }),
  SOF_GetLastError: xtxFunction({ params: z.tuple([]), returns: 'number', access: 'public', run: async (_a, ctx) => ctx.state.lastError }),
  SOF_GetUserList: xtxFunction({
    params: z.tuple([]),
    returns: 'string',
    access: 'protected',
    run: async (_a, ctx) => (await signingEntries(ctx)).map((e) => `${listName(e)}||${e.token.id}&&&`).join(''),
  }),
  SOF_ExportUserCert: xtxFunction({
    params: z.tuple([certIdParam, intParam.optional()]),
    returns: 'string',
    access: 'protected',
    run: async ([certId], ctx) => (await entryOf(ctx, certId)).token.der.toString('base64'),
  }),
  SOF_GetCertInfo: xtxFunction({ params: z.tuple([certParam, intParam]), returns: 'string', access: 'protected', run: async ([cert, type]) => certInfo(cert, type) }),
  SOF_GetCertInfoByOid: xtxFunction({
    params: z.tuple([certParam, z.string().min(1).max(200)]),
    returns: 'string',
    access: 'protected',
    run: async ([cert, oid]) => certInfoByOid(cert, oid),
  }),
  SOF_Login: xtxFunction({
    params: z.tuple([certIdParam, ignoredPassword]),
    returns: 'bool',
    access: 'protected',
    // The page's password is ignored: the assistant's own PIN dialog asks, naming the site.
    run: async ([certId], ctx) => {
      const entry = await entryOf(ctx, certId);
      return ctx.services.signing.policy.withLogin(keyUse(ctx), entry, async () => true);
    },
  }),
  SOF_IsLogin: xtxFunction({
    params: z.tuple([certIdParam]),
    returns: 'bool',
    access: 'protected',
    run: async ([certId], ctx) => {
      const entry = await entryOf(ctx, certId);
      return ctx.services.core.tokens.tokens().find((t) => t.id === entry.token.tokenId)?.loggedIn ?? false;
    },
  }),
  SOF_Logout: xtxFunction({
    params: z.tuple([certIdParam]),
    returns: 'bool',
    access: 'protected',
    run: async ([certId], ctx) => {
      await ctx.services.signing.policy.logout((await entryOf(ctx, certId)).token.tokenId);
      return true;
    },
  }),
  SOF_GetPinRetryCount: xtxFunction({
    params: z.tuple([certIdParam]),
    returns: 'number',
    access: 'protected',
    run: async ([certId], ctx) => {
      const entry = await entryOf(ctx, certId);
      const pin = ctx.services.core.tokens.tokens().find((t) => t.id === entry.token.tokenId)?.pin;
      if (pin?.retriesLeft === undefined) throw new AssistantError('UNSUPPORTED_ALGORITHM', 'the key does not report PIN retries');
      return pin.retriesLeft;
    },
  }),
  SOF_GenRandom: xtxFunction({
    params: z.tuple([intParam.pipe(z.number().int().min(1).max(1024))]),
    returns: 'string',
    access: 'protected',
    run: async ([length]) => randomBytes(length).toString('base64'),
  }),
  SOF_SetSignMethod: xtxFunction({
    params: z.tuple([intParam]),
    returns: 'number',
    access: 'protected',
    run: async ([method], ctx) => {
      if (method !== SGD_SIGN_METHOD.SHA256_RSA && method !== SGD_SIGN_METHOD.SM3_SM2) throw new AssistantError('UNSUPPORTED_ALGORITHM', `sign method ${method} not supported`);
      ctx.state.signMethod = method;
      return 0;
    },
  }),
  SOF_GetSignMethod: xtxFunction({ params: z.tuple([]), returns: 'number', access: 'protected', run: async (_a, ctx) => ctx.state.signMethod ?? 0 }),
  GetPic: xtxFunction({ params: z.tuple([certIdParam]), returns: 'string', access: 'protected', run: async ([certId], ctx) => sealPicture(ctx, certId) }),
  GetPicture: xtxFunction({ params: z.tuple([certIdParam]), returns: 'string', access: 'protected', run: async ([certId], ctx) => sealPicture(ctx, certId) }),
};

/** The seal picture of a certificate (token object or configured image), base64, as `GetPic` returns it. */
async function sealPicture(ctx: XtxContext, certId: string): Promise<string> {
  const seal = await ctx.services.core.certs.seal(await entryOf(ctx, certId));
  if (!seal) throw new AssistantError('CERT_NOT_FOUND', `no seal image for ${certId}`);
  return seal.data.toString('base64');
}

/** Every function the endpoint answers, by `xtx_func_name`. */
export const XTX_FUNCTIONS: Readonly<Record<string, XtxFunction>> = { ...BASE_FUNCTIONS, ...SIGN_FUNCTIONS };
