/** Every method's handler, one file per API area. */
import type { HandlerTable } from '../context.js';
import * as auth from './auth.js';
import * as certs from './certs.js';
import * as check from './check.js';
import * as seals from './seals.js';
import * as session from './session.js';
import * as sign from './sign.js';
import * as signMobile from './sign-mobile.js';
import * as system from './system.js';
import * as tokens from './tokens.js';
import * as verify from './verify.js';

export const HANDLERS: HandlerTable = {
  'system.hello': system.hello,
  'tokens.list': tokens.list,
  'certs.list': certs.list,
  'certs.chain': certs.chain,
  'seals.get': seals.get,
  'sign.hash': sign.hash,
  'sign.mobile': signMobile.mobile,
  'auth.challenge': auth.challenge,
  'verify.cms': verify.cms,
  'check.run': check.run,
  'session.logout': session.logout,
};
