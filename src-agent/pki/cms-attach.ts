/**
 * Turns a detached CMS SignedData into an attached one (PKCS#7 “带原文”):
 * the content goes into `encapContentInfo.eContent`. The signature covers the
 * signed attributes, whose messageDigest already binds the content, so
 * nothing is signed again (RFC 5652 §5.4).
 */
import { childrenOf, expectUniversal, isTag, malformed, parseDer, TAG, TAG_CLASS } from './der.js';
import { contextConstructed, octets, seq } from './der-writer.js';

/** @throws AssistantError BAD_REQUEST when `cmsDer` is not a ContentInfo with SignedData. */
export function attachContent(cmsDer: Buffer, content: Buffer): Buffer {
  const [type, explicit] = childrenOf(expectUniversal(parseDer(cmsDer, 'CMS'), TAG.SEQUENCE, 'ContentInfo'), 'ContentInfo');
  if (!type || !isTag(explicit, TAG_CLASS.CONTEXT, 0)) throw malformed('ContentInfo');
  const [sd] = childrenOf(explicit, 'ContentInfo content');
  const fields = childrenOf(expectUniversal(sd, TAG.SEQUENCE, 'SignedData'), 'SignedData');
  const [eType] = childrenOf(expectUniversal(fields[2], TAG.SEQUENCE, 'EncapsulatedContentInfo'), 'EncapsulatedContentInfo');
  if (!eType) throw malformed('EncapsulatedContentInfo');
  const encap = seq(eType.raw, contextConstructed(0, octets(content)));
  const signedData = seq(...fields.map((f, i) => (i === 2 ? encap : f.raw)));
  return seq(type.raw, contextConstructed(0, signedData));
}
