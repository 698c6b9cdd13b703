/**
 * Who asks for a signature. A site is a web origin on the local API (trusted
 * when listed in `trustedOrigins`); the user is the person at the desk using
 * the assistant itself: the command line, 环境检测 or the assistant window.
 */
export type Requester = SiteRequester | UserRequester;

export interface SiteRequester {
  kind: 'site';
  /** The `Origin` the assistant saw. */
  origin: string;
  /** Listed in `trustedOrigins`. */
  trusted: boolean;
  /** Aborted when the connection goes away (an open PIN dialog gives up). */
  signal?: AbortSignal;
}

export interface UserRequester {
  kind: 'user';
  channel: 'cli' | 'check' | 'window';
  signal?: AbortSignal;
}

/** The origin a login, a dialog or an audit record belongs to; null for the user in the assistant. */
export function originOf(requester: Requester): string | null {
  return requester.kind === 'site' ? requester.origin : null;
}

/** The requester as the audit log records it: `origin`, and `channel` for the user. */
export function auditedRequester(requester: Requester): { origin: string | null; channel?: UserRequester['channel'] } {
  return requester.kind === 'site' ? { origin: requester.origin } : { origin: null, channel: requester.channel };
}
