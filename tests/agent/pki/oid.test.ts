import forge from 'node-forge';
import { describe, expect, it } from 'vitest';
import { AssistantError } from '../../../src-agent/protocol/errors.js';
import { oidToContent } from '../../../src-agent/util/oid.js';

/** node-forge's encoding, an implementation independent of asn1js. */
const forgeOid = (dotted: string): Buffer => Buffer.from(forge.asn1.oidToDer(dotted).getBytes(), 'binary');

const OIDS = [
  '1.2.840.113549.1.7.2', '1.2.156.10197.1.301', '1.2.156.10197.1.501', '1.2.156.10197.6.1.4.2.1', '2.5.4.3', '0.9.2342.19200300.100.1.25',
  '2.16.840.1.101.3.4.2.1', '1.3.6.1.4.1.311.2.1.4', '2.999.3', '0.0',
];

describe('oidToContent', () => {
  it.each(OIDS)('%s: encodes as forge does', (oid) => {
    expect(oidToContent(oid)).toEqual(forgeOid(oid));
  });

  it('throws AssistantError BAD_REQUEST, never a plain Error, for what is not an OID', () => {
    for (const bad of ['', '1', '3.1', '1.40', '1.2.x', '1..2', '01.2', '1.2.']) {
      expect(() => oidToContent(bad)).toThrow(AssistantError);
    }
  });
});
