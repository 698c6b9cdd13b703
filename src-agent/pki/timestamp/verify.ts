/**
 * Verifies the signature time-stamps (RFC 3161 tokens in the unsigned
 * attribute id-aa-signatureTimeStampToken) of a CMS's SignerInfos: the imprint
 * is the digest of that SignerInfo's signature value, the token's own
 * signature verifies, its signer carries the timeStamping EKU, and its chain
 * reaches a configured TSA anchor, valid at the time it states.
 */
import { createHash } from 'node:crypto';
import { PROBLEMS, type PkiProblem } from '../problems.js';
import { arrayBufferOf, tspLibs } from './libs.js';
import { imprintDigestByOid, TSP } from './oids.js';

type Pkijs = Awaited<ReturnType<typeof tspLibs>>['pkijs'];
type SignedData = InstanceType<Pkijs['SignedData']>;

/** The time-stamp of one SignerInfo, when it carries one. */
export interface TimestampCheck {
  signerIndex: number;
  /** The time the TSA states (TSTInfo genTime), ISO 8601; only when the token is valid and trusted. */
  time?: string;
  /** The TSA certificate's subject, as it is written. */
  tsa?: string;
  /** Imprint, token signature, EKU and chain to a TSA anchor all hold. */
  valid: boolean;
  problems: PkiProblem[];
}

function subjectOf(cert: InstanceType<Pkijs['Certificate']>): string {
  return cert.subject.typesAndValues.map((tv) => `${tv.type === '2.5.4.3' ? 'CN' : tv.type === '2.5.4.10' ? 'O' : tv.type === '2.5.4.6' ? 'C' : tv.type}=${String(tv.value.valueBlock.value)}`).join(', ');
}

function hasTimeStampingEku(cert: InstanceType<Pkijs['Certificate']>): boolean {
  const ext = cert.extensions?.find((e) => e.extnID === TSP.EXTENDED_KEY_USAGE);
  const usages = (ext?.parsedValue as { keyPurposes?: string[] } | undefined)?.keyPurposes ?? [];
  return usages.includes(TSP.KP_TIME_STAMPING);
}

async function checkToken(pkijs: Pkijs, asn1js: typeof import('asn1js'), token: unknown, signatureValue: Buffer, anchors: InstanceType<Pkijs['Certificate']>[], signerIndex: number): Promise<TimestampCheck> {
  const fail = (problem: PkiProblem, tsa?: string): TimestampCheck => ({ signerIndex, valid: false, problems: [problem], ...(tsa ? { tsa } : {}) });
  let signed: SignedData;
  let tst: InstanceType<Pkijs['TSTInfo']>;
  try {
    const info = new pkijs.ContentInfo({ schema: token });
    signed = new pkijs.SignedData({ schema: info.content });
    if (signed.encapContentInfo.eContentType !== TSP.TST_INFO || !signed.encapContentInfo.eContent) throw new Error('not TSTInfo');
    tst = new pkijs.TSTInfo({ schema: asn1js.fromBER(signed.encapContentInfo.eContent.getValue(), { parseEmbedded: false }).result });
  } catch {
    return fail(PROBLEMS.timestampMalformed());
  }
  const digest = imprintDigestByOid(tst.messageImprint.hashAlgorithm.algorithmId);
  const imprint = Buffer.from(tst.messageImprint.hashedMessage.valueBlock.valueHexView);
  if (!digest || !createHash(digest).update(signatureValue).digest().equals(imprint)) return fail(PROBLEMS.timestampImprint());
  type Outcome = { signatureVerified?: boolean | null; signerCertificate?: InstanceType<Pkijs['Certificate']> | null; signerCertificateVerified?: boolean | null };
  const run = async (checkChain: boolean): Promise<Outcome> => {
    try {
      // pkijs checks the imprint over `data` again and judges the chain at genTime.
      return await signed.verify({ signer: 0, data: arrayBufferOf(signatureValue), trustedCerts: anchors, checkChain, checkDate: tst.genTime, extendedMode: true });
    } catch (error) {
      return error as Outcome;
    }
  };
  // One verification with the chain on the good path; on failure a second without it tells which words fit.
  const chained = await run(true);
  const own = chained.signatureVerified && chained.signerCertificateVerified ? chained : await run(false);
  const signer = own.signerCertificate ?? chained.signerCertificate ?? undefined;
  const tsa = signer ? subjectOf(signer) : undefined;
  if (!own.signatureVerified) return fail(PROBLEMS.timestampSignature(), tsa);
  if (!signer || !hasTimeStampingEku(signer)) return fail(PROBLEMS.timestampNotTsa(tsa ?? '?'), tsa);
  if (!chained.signatureVerified || !chained.signerCertificateVerified) return fail(PROBLEMS.timestampUntrusted(tsa ?? '?'), tsa);
  return { signerIndex, valid: true, time: tst.genTime.toISOString(), ...(tsa ? { tsa } : {}), problems: [] };
}

/**
 * The time-stamp checks of every SignerInfo of `cms` that carries a token
 * (none: an empty list). Never throws for a bad CMS or token: those are problems.
 */
export async function verifySignatureTimestamps(cms: Buffer, tsaAnchors: Buffer[]): Promise<TimestampCheck[]> {
  const { asn1js, pkijs } = await tspLibs();
  let signedData: SignedData;
  try {
    const asn = asn1js.fromBER(arrayBufferOf(cms), { parseEmbedded: false });
    signedData = new pkijs.SignedData({ schema: new pkijs.ContentInfo({ schema: asn.result }).content });
  } catch {
    return [];
  }
  const anchors: InstanceType<Pkijs['Certificate']>[] = [];
  for (const der of tsaAnchors) {
    try {
      anchors.push(pkijs.Certificate.fromBER(arrayBufferOf(der)));
    } catch {
      // An anchor that does not parse anchors nothing; the trust store reports bad files.
    }
  }
  const out: TimestampCheck[] = [];
  for (const [i, si] of signedData.signerInfos.entries()) {
    const attrs = si.unsignedAttrs?.attributes.filter((a) => a.type === TSP.SIGNATURE_TIMESTAMP_TOKEN) ?? [];
    if (attrs.length === 0) continue;
    const values = attrs[0]!.values;
    if (attrs.length > 1 || values.length !== 1) {
      out.push({ signerIndex: i, valid: false, problems: [PROBLEMS.timestampMalformed()] });
      continue;
    }
    out.push(await checkToken(pkijs, asn1js, values[0], Buffer.from(si.signature.valueBlock.valueHexView), anchors, i));
  }
  return out;
}
