import { createHash } from 'node:crypto';
import { AssistantError } from '../../protocol/errors.js';
import type { Handler } from '../context.js';

/**
 * sign.mobile: a phone signs (移动签). The route is the service's MobileSigning;
 * the audit record and the notice come from the signing use case's shared frame,
 * like every other signature. No token is involved: a desktop without a USB key works.
 */
export const mobile: Handler<'sign.mobile'> = async (params, session, { core, ui, signing }, request) => {
  const route = core.mobile;
  const hash = Buffer.from(params.hash, 'base64');
  const documentName = params.document?.name;
  const facts = {
    method: 'sign.mobile',
    certId: `mobile:${params.sealKind}`,
    certFingerprintSha256: null as string | null,
    hashAlgorithm: params.hashAlgorithm,
    hash: hash.toString('hex'),
    format: params.format,
    documentName: documentName ?? null,
  };
  const signed = await signing.runAudited(
    session.requester,
    facts,
    async (f) => {
      if (!route) throw new AssistantError('MOBILE_NOT_CONFIGURED', 'sign.mobile without mobileSigning in the config');
      // Before the QR dialog: a time-stamp that cannot be had would make the phone sign for nothing.
      if (params.timestamp && !core.timestamps.configured) throw new AssistantError('TIMESTAMP_NOT_CONFIGURED', 'sign.mobile asked for a time-stamp but timestamp.url is not set');
      const out = await route.sign({
        origin: session.origin, hash, hashAlgorithm: params.hashAlgorithm, sealKind: params.sealKind, ui, signal: session.signal,
        progress: (state) => session.notify('request.progress', { id: request.id, state }),
        ...(documentName !== undefined ? { documentName } : {}),
      });
      f.certFingerprintSha256 = createHash('sha256').update(out.certificate).digest('hex');
      if (!params.timestamp) return out;
      f.extra = { ...f.extra, timestamp: true };
      // The phone's CMS was verified against the hash first; the time-stamp goes over its signature value.
      return { ...out, signature: await core.timestamps.stamp(out.signature, session.signal) };
    },
    (out) => ({ certSubject: out.signerSubject, ...(documentName !== undefined ? { documentName } : {}) }),
  );
  return {
    signature: signed.signature.toString('base64'),
    format: 'cms',
    signatureAlgorithm: signed.signatureAlgorithm,
    certificate: signed.certificate.toString('base64'),
    sealKind: signed.sealKind,
    seal: {
      mime: 'image/png',
      image: signed.seal.data.toString('base64'),
      ...(signed.seal.widthMm !== undefined ? { widthMm: signed.seal.widthMm } : {}),
      ...(signed.seal.heightMm !== undefined ? { heightMm: signed.seal.heightMm } : {}),
    },
  };
};
