/**
 * Turns a detached CMS SignedData into an attached one (PKCS#7 “带原文”):
 * the content goes into `encapContentInfo.eContent`. The signature covers the
 * signed attributes, whose messageDigest already binds the content, so
 * nothing is signed again (RFC 5652 §5.4). Every other field is kept byte for byte.
 */
import { childrenOf, decode, malformed, rawOf, tagOf } from './asn1.js';
import { contextConstructed, encode, octets, sequence, verbatim } from './encode.js';

/** @throws AssistantError BAD_REQUEST when `cmsDer` is not a ContentInfo with SignedData. */
export function attachContent(cmsDer: Buffer, content: Buffer): Buffer {
  const root = decode(cmsDer, 'CMS');
  const [type, explicit] = childrenOf(root, 'ContentInfo');
  if (!type || !explicit || tagOf(explicit).cls !== 3 || tagOf(explicit).number !== 0) throw malformed('ContentInfo');
  const [sd] = childrenOf(explicit, 'ContentInfo content');
  if (!sd) throw malformed('SignedData');
  const fields = childrenOf(sd, 'SignedData');
  const encapField = fields[2];
  if (!encapField) throw malformed('EncapsulatedContentInfo');
  const [eType] = childrenOf(encapField, 'EncapsulatedContentInfo');
  if (!eType) throw malformed('EncapsulatedContentInfo');
  const encap = sequence(verbatim(rawOf(eType)), contextConstructed(0, octets(content)));
  const signedData = sequence(...fields.map((f, i) => (i === 2 ? encap : verbatim(rawOf(f)))));
  return encode(sequence(verbatim(rawOf(type)), contextConstructed(0, signedData)));
}
