import { AssistantError } from '../../protocol/errors.js';
import type { Handler } from '../context.js';

/** Runs 环境检测 through the injected runner; INTERNAL when none is wired in. */
export const run: Handler<'check.run'> = async (_params, session, services) => {
  if (!services.runCheck) throw new AssistantError('INTERNAL', 'check.run: 环境检测 runner not available', { detailZh: '此版本互认助手未提供环境检测' });
  return services.runCheck({
    core: services.core,
    ui: services.ui,
    origin: session.origin,
    registerLogin: (tokenId) => services.signing.policy.registerLogin(tokenId, session.origin),
    signing: services.signing,
    progress: (event) => session.notify('check.progress', event),
    signal: session.signal,
    auditFile: services.signing.audit.file,
  });
};
