/**
 * RFC 5280 path validation as the assistant enforces it, and the bounds of
 * verify.cms: every rule here has a test that fails without it.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MAX_CHAIN_CANDIDATES, MAX_CMS_CERTIFICATES } from '../../../src-agent/limits.js';
import { buildChain, parseCertificate, verifyCms } from '../../../src-agent/pki/index.js';
import { CA_EXT, LEAF_EXT, opensslPki } from '../../helpers/openssl-pki.js';

const pki = opensslPki();
const codes = (r: { problems: { code: string }[] }) => r.problems.map((p) => p.code);
const content = Buffer.from('采购合同正文');
const hash = createHash('sha256').update(content).digest();

const root = pki.issue('root', CA_EXT());
const rootLen0 = pki.issue('root-len0', CA_EXT(0));
const rootLen1 = pki.issue('root-len1', CA_EXT(1));

describe('path validation (RFC 5280 §6.1)', () => {
  it('enforces basicConstraints pathLenConstraint: one intermediate under pathlen:0 is refused, under pathlen:1 accepted', () => {
    const int0 = pki.issue('int0', CA_EXT(), rootLen0);
    const leaf0 = pki.issue('leaf-under-len0', LEAF_EXT, int0);
    const r0 = buildChain(leaf0.der, [int0.der], [rootLen0.der]);
    expect(r0.chain).toHaveLength(3);
    expect(codes(r0)).toEqual(['PATH_LENGTH']);
    expect(r0.trusted).toBe(false);
    expect(r0.problems[0]!.zh).toContain('root-len0');

    const int1 = pki.issue('int1', CA_EXT(), rootLen1);
    const leaf1 = pki.issue('leaf-under-len1', LEAF_EXT, int1);
    expect(buildChain(leaf1.der, [int1.der], [rootLen1.der])).toMatchObject({ trusted: true, problems: [] });
  });

  it('enforces pathLenConstraint of an intermediate too, and does not count the leaf', () => {
    const intLen0 = pki.issue('int-len0', CA_EXT(0), root);
    const sub = pki.issue('sub-ca', CA_EXT(), intLen0);
    const leaf = pki.issue('leaf-under-sub', LEAF_EXT, sub);
    expect(codes(buildChain(leaf.der, [sub.der, intLen0.der], [root.der]))).toEqual(['PATH_LENGTH']);
    const direct = pki.issue('leaf-under-int-len0', LEAF_EXT, intLen0);
    expect(buildChain(direct.der, [intLen0.der], [root.der])).toMatchObject({ trusted: true, problems: [] });
  });

  it('refuses an issuer whose KeyUsage lacks keyCertSign, though it is a CA', () => {
    const noCertSign = pki.issue('crl-only-ca', ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,cRLSign', 'subjectKeyIdentifier=hash', 'authorityKeyIdentifier=keyid'], root);
    const leaf = pki.issue('leaf-under-crl-only', LEAF_EXT, noCertSign);
    const r = buildChain(leaf.der, [noCertSign.der], [root.der]);
    expect(codes(r)).toEqual(['NOT_A_CA']);
    expect(r.trusted).toBe(false);
  });

  it('rejects a certificate with an unknown critical extension, and accepts the same extension non-critical', () => {
    const critical = pki.issue('leaf-critical', [...LEAF_EXT, '1.2.3.4.5=critical,DER:0500'], root);
    const r = buildChain(critical.der, [], [root.der]);
    expect(codes(r)).toEqual(['UNKNOWN_CRITICAL_EXTENSION']);
    expect(r.problems[0]!.en).toContain('1.2.3.4.5');
    expect(r.trusted).toBe(false);
    const plain = pki.issue('leaf-noncritical', [...LEAF_EXT, '1.2.3.4.5=DER:0500'], root);
    expect(buildChain(plain.der, [], [root.der])).toMatchObject({ trusted: true, problems: [] });
    // It is still a certificate the assistant can show.
    expect(parseCertificate(critical.der).subject).toBe('CN=leaf-critical');
  });

  it('rejects an unknown critical extension on a CA of the chain', () => {
    const ca = pki.issue('ca-critical', [...CA_EXT(), '1.2.3.4.6=critical,DER:0500'], root);
    const leaf = pki.issue('leaf-under-ca-critical', LEAF_EXT, ca);
    expect(codes(buildChain(leaf.der, [ca.der], [root.der]))).toEqual(['UNKNOWN_CRITICAL_EXTENSION']);
  });

  it(`tries at most ${MAX_CHAIN_CANDIDATES} same-name issuer candidates per link`, () => {
    const realCa = pki.issue('same-name-ca', CA_EXT(), root);
    const leaf = pki.issue('leaf-of-same-name', ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature'], realCa);
    // Look-alikes: same subject and the same key identifier as the real CA, other keys.
    const ski = parseCertificate(realCa.der).subjectKeyIdentifier!;
    const fakes = Array.from({ length: MAX_CHAIN_CANDIDATES }, (_, i) =>
      pki.issue(`same-name-ca`, ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign', `subjectKeyIdentifier=${ski}`], pki.issue(`fake-${i}`, CA_EXT(), root)).der);
    expect(buildChain(leaf.der, [realCa.der], [root.der]).trusted).toBe(true);
    expect(buildChain(leaf.der, [...fakes.slice(1), realCa.der], [root.der]).trusted).toBe(true);
    const capped = buildChain(leaf.der, [...fakes, realCa.der], [root.der]);
    expect(capped.trusted).toBe(false);
    expect(codes(capped)).toEqual(['CHAIN_SIGNATURE_INVALID']);
  });
});

describe('verifyCms: every signer, bounded work', () => {
  const signerA = pki.issue('signer-a', LEAF_EXT, root);
  const otherRoot = pki.issue('other-root', CA_EXT());
  const signerB = pki.issue('signer-b', LEAF_EXT, otherRoot);

  it('verifies and reports every SignerInfo; the whole is trusted only when every signer is', async () => {
    const cms = pki.cms(content, [signerA, signerB]);
    const both = await verifyCms({ signature: cms, hash, hashAlgorithm: 'sha256', trustAnchors: [root.der, otherRoot.der], intermediates: [] });
    expect(both.signers.map((s) => [s.signer?.subject, s.valid, s.chainTrusted])).toEqual([['CN=signer-a', true, true], ['CN=signer-b', true, true]]);
    expect(both).toMatchObject({ valid: true, chainTrusted: true, problems: [] });

    const oneTrusted = await verifyCms({ signature: cms, hash, hashAlgorithm: 'sha256', trustAnchors: [root.der], intermediates: [] });
    expect(oneTrusted.signers.map((s) => s.chainTrusted)).toEqual([true, false]);
    expect(oneTrusted.chainTrusted).toBe(false);
    expect(oneTrusted.signer?.subject).toBe('CN=signer-a');
    expect(codes(oneTrusted)).toEqual(['CHAIN_UNTRUSTED']);
  });

  it('reports a second signer whose signature does not verify, though the first does', async () => {
    const cms = Buffer.from(pki.cms(content, [signerA, signerB]));
    // The last bytes are the second SignerInfo's signature value (openssl writes signers in order).
    cms[cms.length - 5]! ^= 0x01;
    const r = await verifyCms({ signature: cms, hash, hashAlgorithm: 'sha256', trustAnchors: [root.der, otherRoot.der], intermediates: [] });
    expect(r.signers.map((s) => s.valid)).toEqual([true, false]);
    expect(r.valid).toBe(false);
    expect(codes(r)).toEqual(['SIGNATURE_INVALID']);
  });

  it(`refuses a CMS with more than ${MAX_CMS_CERTIFICATES} certificates before parsing them (LIMIT_EXCEEDED)`, async () => {
    const padding = Array.from({ length: MAX_CMS_CERTIFICATES }, (_, i) => pki.selfSigned(`padding-${i}`));
    const over = pki.cms(content, [signerA], padding);
    const r = await verifyCms({ signature: over, hash, hashAlgorithm: 'sha256', trustAnchors: [root.der], intermediates: [] });
    expect(codes(r)).toEqual(['LIMIT_EXCEEDED']);
    expect(r.problems[0]!.zh).toContain(`上限 ${MAX_CMS_CERTIFICATES} 张`);
    expect(r).toMatchObject({ valid: false, signer: null, signers: [] });
    const at = pki.cms(content, [signerA], padding.slice(1));
    expect((await verifyCms({ signature: at, hash, hashAlgorithm: 'sha256', trustAnchors: [root.der], intermediates: [] })).valid).toBe(true);
  });

  it('gives the event loop back between signature checks', async () => {
    const cms = pki.cms(content, [signerA, signerB]);
    let turns = 0;
    let running = true;
    const tick = () => {
      if (!running) return;
      turns++;
      setImmediate(tick);
    };
    setImmediate(tick);
    const pending = verifyCms({ signature: cms, hash, hashAlgorithm: 'sha256', trustAnchors: [root.der, otherRoot.der], intermediates: [] });
    const turnsAtReturn = turns;
    await pending;
    running = false;
    expect(turnsAtReturn).toBe(0);
    // Two signers, each a signature value and a chain link: at least four turns given back.
    expect(turns).toBeGreaterThanOrEqual(4);
  });
});
