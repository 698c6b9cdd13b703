/**
 * Reads a SignerInfo's signature value out of a CMS and adds the
 * signature-time-stamp unsigned attribute to it. The CMS is re-encoded from
 * asn1js's parse; for DER input (what the assistant builds) that is
 * byte-for-byte the input, which is checked, so signed attributes and
 * certificates cannot change under the signature.
 */
import { AssistantError } from '../../protocol/errors.js';
import { arrayBufferOf, tspLibs } from './libs.js';
import { TSP } from './oids.js';

type Asn1js = Awaited<ReturnType<typeof tspLibs>>['asn1js'];
type Node = InstanceType<Asn1js['BaseBlock']>;

const malformed = (what: string): AssistantError => new AssistantError('INTERNAL', `cannot add a time-stamp: ${what}`);

function children(node: Node | undefined): Node[] {
  const block = (node as unknown as { valueBlock?: { value?: unknown } } | undefined)?.valueBlock;
  // BER indefinite lengths end with an end-of-contents node, which is no field.
  const nodes = Array.isArray(block?.value) ? (block.value as Node[]) : [];
  return nodes.filter((n) => !(n.idBlock.tagClass === 1 && n.idBlock.tagNumber === 0));
}

/** The SignerInfo SEQUENCE nodes of a ContentInfo { SignedData } tree. */
function signerInfos(root: Node): Node[] {
  const [, explicit] = children(root);
  const signedData = children(explicit)[0];
  const set = children(signedData).at(-1);
  return children(set);
}

async function parse(cms: Buffer): Promise<{ asn1js: Asn1js; root: Node }> {
  const { asn1js } = await tspLibs();
  const asn = asn1js.fromBER(arrayBufferOf(cms), { parseEmbedded: false });
  if (asn.offset === -1) throw malformed('not BER');
  return { asn1js, root: asn.result };
}

/** The signature value (OCTET STRING content) of SignerInfo `index`. */
export async function signatureValueOf(cms: Buffer, index = 0): Promise<Buffer> {
  const { asn1js, root } = await parse(cms);
  const si = signerInfos(root)[index];
  const signature = children(si).find((n) => n instanceof asn1js.OctetString);
  if (!signature) throw malformed(`no SignerInfo ${index}`);
  return Buffer.from((signature as InstanceType<Asn1js['OctetString']>).valueBlock.valueHexView);
}

/** `cms` with `token` (DER ContentInfo) as id-aa-signatureTimeStampToken of SignerInfo `index`. */
export async function addSignatureTimestamp(cms: Buffer, token: Buffer, index = 0): Promise<Buffer> {
  const { asn1js, root } = await parse(cms);
  if (!Buffer.from(root.toBER(false)).equals(cms)) throw malformed('the CMS is not DER');
  const si = signerInfos(root)[index];
  if (!si) throw malformed(`no SignerInfo ${index}`);
  const tokenAsn = asn1js.fromBER(arrayBufferOf(token), { parseEmbedded: false });
  if (tokenAsn.offset === -1) throw malformed('token is not BER');
  const attribute = new asn1js.Sequence({
    value: [new asn1js.ObjectIdentifier({ value: TSP.SIGNATURE_TIMESTAMP_TOKEN }), new asn1js.Set({ value: [tokenAsn.result] })],
  });
  const fields = (si as unknown as { valueBlock: { value: Node[] } }).valueBlock.value;
  const last = fields.at(-1);
  const isUnsigned = last?.idBlock.tagClass === 3 && last.idBlock.tagNumber === 1;
  if (isUnsigned) (last as unknown as { valueBlock: { value: Node[] } }).valueBlock.value.push(attribute);
  else fields.push(new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 1 }, value: [attribute] }));
  return Buffer.from(root.toBER(false));
}
