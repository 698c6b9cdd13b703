/**
 * The signing use case's time-stamp step: a command with `timestamp: true`
 * gets an RFC 3161 signature time-stamp on its CMS from the configured TSA,
 * or fails (audited) — never a signature without the time-stamp it asked for.
 */
import { AssistantError } from '../../protocol/errors.js';
import type { TimestampService } from '../timestamp-service.js';
import type { SignStep } from './use-case.js';

export function timestampStep(timestamps: TimestampService): SignStep {
  return {
    check(command) {
      if (!command.timestamp) return;
      if (command.format !== 'cms') throw new AssistantError('BAD_REQUEST', 'a time-stamp needs format cms', { detailZh: '可信时间戳只能加在 CMS 签名中' });
      if (!timestamps.configured) throw new AssistantError('TIMESTAMP_NOT_CONFIGURED', 'a time-stamp was asked for but timestamp.url is not set');
    },
    async run(signed, command, facts, requester) {
      if (!command.timestamp) return signed;
      facts.extra = { ...facts.extra, timestamp: true };
      return { ...signed, signature: await timestamps.stamp(signed.signature, requester.signal) };
    },
  };
}
