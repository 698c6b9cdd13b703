import type { Handler } from '../context.js';

/** Logs the token out for everyone; the next signature asks the PIN. */
export const logout: Handler<'session.logout'> = async (params, _session, { signing }) => {
  await signing.policy.logout(params.tokenId);
  return {};
};
