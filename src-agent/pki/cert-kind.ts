/**
 * Tells a unit seal certificate (单位/公章) from a personal one (个人签章) by
 * the subject name, the way Chinese CAs fill it in.
 */
import { dnValue, dnValues, type DnAttribute } from './dn.js';

/** `organization` (单位证书), `personal` (个人证书) or `unknown`. */
export type CertKind = 'organization' | 'personal' | 'unknown';

/** 统一社会信用代码 (GB 32100-2015): 18 characters, no I, O, S, V, Z. */
export const USCC_PATTERN = /^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$/;

/** 居民身份证号码: 6-digit region, birth date, 3-digit sequence, check digit or X. */
export const ID_CARD_PATTERN = /^\d{6}(18|19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])\d{3}[\dXx]$/;

/** A Chinese personal name (2–4 characters, or longer with a middle dot) or a plain Latin name. */
const PERSON_NAME = /^(?:[\u3400-\u9fff]{2,4}|[\u3400-\u9fff]{1,10}[·•][\u3400-\u9fff·•]{1,20}|[A-Za-z][A-Za-z.'-]*(?: [A-Za-z][A-Za-z.'-]*){1,3})$/;

/** Words that make a short name an organisation, not a person (e.g. 财政局, 某某公司). */
const ORG_WORDS = /公司|集团|中心|委员会|政府|局|院|厅|部|所|处|站|社|店|厂|学校|大学|银行|协会|办公室|Co\.|Ltd|Inc|Corp/i;

function isPersonName(cn: string): boolean {
  return PERSON_NAME.test(cn) && !ORG_WORDS.test(cn);
}

/**
 * CAs often prefix identifiers (`USCC:…`, `NTRCN-…`, `身份证:…`); take the
 * part after the last separator as well as the whole value.
 */
function candidates(value: string): string[] {
  const trimmed = value.trim();
  const tail = trimmed.split(/[:：\-_]/).pop() ?? trimmed;
  return tail === trimmed ? [trimmed] : [trimmed, tail];
}

/** True when some value is (or ends with) an 18-character 统一社会信用代码 that is not an ID card number. */
function hasUscc(values: string[]): boolean {
  return values.some((v) => candidates(v).some((c) => USCC_PATTERN.test(c) && !ID_CARD_PATTERN.test(c)));
}

function hasIdCard(values: string[]): boolean {
  return values.some((v) => candidates(v).some((c) => ID_CARD_PATTERN.test(c)));
}

/**
 * Classifies a subject.
 * - organization: has O, and a 统一社会信用代码 in OU, serialNumber, organizationIdentifier
 *   or CN, or CN equal to O;
 * - personal: CN is a person's name and serialNumber is an ID card number, or the
 *   subject carries no organization code at all;
 * - otherwise unknown.
 */
export function classifySubject(subject: readonly DnAttribute[]): CertKind {
  const o = dnValue(subject, 'O');
  const cn = dnValue(subject, 'CN');
  const codeValues = [
    ...dnValues(subject, 'OU'),
    ...dnValues(subject, 'serialNumber'),
    ...dnValues(subject, 'organizationIdentifier'),
    ...dnValues(subject, 'CN'),
  ];
  const orgCode = hasUscc(codeValues);
  if (o !== undefined && (orgCode || (cn !== undefined && cn.trim() === o.trim()))) return 'organization';
  if (cn !== undefined && isPersonName(cn.trim())) {
    if (hasIdCard(dnValues(subject, 'serialNumber')) || !orgCode) return 'personal';
  }
  return 'unknown';
}
