import { beforeAll, describe, expect, it } from 'vitest';
import { buildChain, isSignedBy } from '../../../src-agent/pki/index.js';
import { issue, makeTestPki, rsaKey, utf8, type TestPki } from './test-pki.js';

let pki: TestPki;
beforeAll(() => {
  pki = makeTestPki();
});

describe('buildChain', () => {
  it('goes leaf → intermediate → anchor and ignores unrelated or broken pool entries', () => {
    const r = buildChain(pki.personalEcLeaf.der, [pki.otherRoot.der, Buffer.from('junk'), pki.intermediate.der], [pki.root.der]);
    expect(r.problems).toEqual([]);
    expect(r.trusted).toBe(true);
    expect(r.chain).toEqual([pki.personalEcLeaf.der, pki.intermediate.der, pki.root.der]);
  });

  it('treats a leaf that is itself an anchor as trusted', () => {
    expect(buildChain(pki.root.der, [], [pki.root.der])).toEqual({ chain: [pki.root.der], trusted: true, problems: [] });
  });

  it('names the missing issuer', () => {
    const r = buildChain(pki.orgLeaf.der, [], [pki.root.der]);
    expect(r.trusted).toBe(false);
    expect(r.chain).toEqual([pki.orgLeaf.der]);
    expect(r.problems[0]!.zh).toBe('证书链无法追溯到受信任的根证书（缺少“互认测试二级CA”）');
  });

  it('rejects an impostor issuer with the right name but another key', () => {
    const impostor = issue({ subject: pki.intermediate.subject, keys: rsaKey(), issuer: pki.root, ca: true });
    const r = buildChain(pki.orgLeaf.der, [impostor.der], [pki.root.der]);
    expect(r.trusted).toBe(false);
    // Its SKI differs from the leaf's AKI, so it is not even a candidate: the real issuer is missing.
    expect(r.problems.map((p) => p.code)).toEqual(['CHAIN_UNTRUSTED']);
    expect(r.chain).toEqual([pki.orgLeaf.der]);
    expect(isSignedBy(pki.orgLeaf.der, impostor.der)).toBe(false);
    expect(isSignedBy(pki.orgLeaf.der, pki.intermediate.der)).toBe(true);
  });

  it('flags an issuer that is not a CA', () => {
    const notCa = issue({ subject: [utf8('CN', '普通证书')], keys: rsaKey(), issuer: pki.intermediate });
    const leaf = issue({ subject: [utf8('CN', '下级')], keys: rsaKey(), issuer: notCa });
    const r = buildChain(leaf.der, [notCa.der, pki.intermediate.der], [pki.root.der]);
    expect(r.chain).toHaveLength(4);
    expect(r.trusted).toBe(false);
    expect(r.problems.map((p) => p.code)).toEqual(['NOT_A_CA']);
  });

  it('stops on loops between cross-signed CAs', () => {
    const keysA = rsaKey();
    const keysB = rsaKey();
    const nameA = [utf8('CN', '甲CA')];
    const nameB = [utf8('CN', '乙CA')];
    const selfA = issue({ subject: nameA, keys: keysA, ca: true });
    const selfB = issue({ subject: nameB, keys: keysB, ca: true });
    const aByB = issue({ subject: nameA, keys: keysA, issuer: selfB, ca: true });
    const bByA = issue({ subject: nameB, keys: keysB, issuer: { ...selfA, privateKey: keysA.privateKey }, ca: true });
    const leaf = issue({ subject: [utf8('CN', '张三')], keys: rsaKey(), issuer: selfA });
    const r = buildChain(leaf.der, [aByB.der, bByA.der], [pki.root.der]);
    expect(r.trusted).toBe(false);
    expect(r.chain.length).toBeLessThanOrEqual(10);
    expect(r.problems).toHaveLength(1);
  });

  it('reports expired chain members when asked for a time', () => {
    const r = buildChain(pki.expiredLeaf.der, [pki.intermediate.der], [pki.root.der], { at: new Date() });
    expect(r.trusted).toBe(false);
    expect(r.problems.map((p) => p.code)).toEqual(['CERT_EXPIRED']);
    expect(r.problems[0]!.zh).toContain('证书“李四”在');
  });
});
