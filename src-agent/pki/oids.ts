/** Object identifiers the PKI layer reads or writes, with readable names. */

/** Distinguished-name attribute types, short names as RFC 4514 / OpenSSL print them. */
export const DN_ATTRIBUTES: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.4': 'SN',
  '2.5.4.5': 'serialNumber',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'street',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.12': 'title',
  '2.5.4.17': 'postalCode',
  '2.5.4.42': 'givenName',
  '2.5.4.97': 'organizationIdentifier',
  '1.2.840.113549.1.9.1': 'emailAddress',
  '0.9.2342.19200300.100.1.1': 'UID',
  '0.9.2342.19200300.100.1.25': 'DC',
};

/** Certificate extensions. */
export const EXT = {
  SUBJECT_KEY_ID: '2.5.29.14',
  KEY_USAGE: '2.5.29.15',
  BASIC_CONSTRAINTS: '2.5.29.19',
  CRL_DISTRIBUTION_POINTS: '2.5.29.31',
  CERTIFICATE_POLICIES: '2.5.29.32',
  AUTHORITY_KEY_ID: '2.5.29.35',
  EXT_KEY_USAGE: '2.5.29.37',
  AUTHORITY_INFO_ACCESS: '1.3.6.1.5.5.7.1.1',
  SUBJECT_ALT_NAME: '2.5.29.17',
  ISSUER_ALT_NAME: '2.5.29.18',
} as const;

/** AccessDescription methods in Authority Information Access. */
export const ACCESS_METHOD = { OCSP: '1.3.6.1.5.5.7.48.1', CA_ISSUERS: '1.3.6.1.5.5.7.48.2' } as const;

/** Extended key usage purposes by OID. */
export const EXT_KEY_USAGE_NAMES: Readonly<Record<string, string>> = {
  '1.3.6.1.5.5.7.3.1': 'serverAuth',
  '1.3.6.1.5.5.7.3.2': 'clientAuth',
  '1.3.6.1.5.5.7.3.3': 'codeSigning',
  '1.3.6.1.5.5.7.3.4': 'emailProtection',
  '1.3.6.1.5.5.7.3.8': 'timeStamping',
  '1.3.6.1.5.5.7.3.9': 'OCSPSigning',
  '1.3.6.1.4.1.311.10.3.12': 'documentSigning',
  '2.5.29.37.0': 'anyExtendedKeyUsage',
};

/** Public-key and signature algorithms. */
export const ALG = {
  RSA_ENCRYPTION: '1.2.840.113549.1.1.1',
  RSASSA_PSS: '1.2.840.113549.1.1.10',
  EC_PUBLIC_KEY: '1.2.840.10045.2.1',
  SM2_CURVE: '1.2.156.10197.1.301',
  /** sm2-1, the SM2 signature algorithm as GM/T 0010 names it in SignerInfo. */
  SM2_SIGN: '1.2.156.10197.1.301.1',
  SM2_WITH_SM3: '1.2.156.10197.1.501',
  SM3: '1.2.156.10197.1.401',
} as const;

/** Named curves by OID, with their size in bits. */
export const CURVES: Readonly<Record<string, { name: string; bits: number }>> = {
  '1.2.840.10045.3.1.7': { name: 'P-256', bits: 256 },
  '1.3.132.0.34': { name: 'P-384', bits: 384 },
  '1.3.132.0.35': { name: 'P-521', bits: 521 },
  '1.3.132.0.10': { name: 'secp256k1', bits: 256 },
  '1.2.156.10197.1.301': { name: 'SM2', bits: 256 },
};

/** Signature algorithm names by OID (as OpenSSL prints them). */
export const SIGNATURE_ALGORITHM_NAMES: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.1': 'rsaEncryption',
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
  '1.2.840.113549.1.1.10': 'rsassaPss',
  '1.2.840.113549.1.1.11': 'sha256WithRSAEncryption',
  '1.2.840.113549.1.1.12': 'sha384WithRSAEncryption',
  '1.2.840.113549.1.1.13': 'sha512WithRSAEncryption',
  '1.2.840.10045.4.1': 'ecdsa-with-SHA1',
  '1.2.840.10045.4.3.2': 'ecdsa-with-SHA256',
  '1.2.840.10045.4.3.3': 'ecdsa-with-SHA384',
  '1.2.840.10045.4.3.4': 'ecdsa-with-SHA512',
  '1.2.156.10197.1.501': 'SM2-with-SM3',
  '1.2.156.10197.1.301.1': 'sm2sign',
};

/** CMS content types and attributes. */
export const CMS = {
  DATA: '1.2.840.113549.1.7.1',
  SIGNED_DATA: '1.2.840.113549.1.7.2',
  ATTR_CONTENT_TYPE: '1.2.840.113549.1.9.3',
  ATTR_MESSAGE_DIGEST: '1.2.840.113549.1.9.4',
  ATTR_SIGNING_TIME: '1.2.840.113549.1.9.5',
  ATTR_SIGNING_CERTIFICATE_V2: '1.2.840.113549.1.9.16.2.47',
} as const;

/** GM/T 0010 (SM2 密码算法加密签名消息语法规范) content types, used instead of {@link CMS}'s with `profile: 'gmt0010'`. */
export const GMT0010 = {
  DATA: '1.2.156.10197.6.1.4.2.1',
  SIGNED_DATA: '1.2.156.10197.6.1.4.2.2',
} as const;
