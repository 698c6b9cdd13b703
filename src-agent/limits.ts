/**
 * Every limit and timeout of the assistant, in one place. Each has its unit and
 * default next to it; the config file may override the ones marked so.
 */

/** Largest WebSocket frame accepted, in bytes (default 64 KiB; hashes are small). */
export const MAX_FRAME_BYTES = 64 * 1024;
/**
 * Largest frame on the compatibility endpoint (`/xtxapp/`), bytes (default 1 MiB):
 * pages coded for the incumbent clients send the text to sign itself, not a hash.
 */
export const XTX_MAX_FRAME_BYTES = 1024 * 1024;
/** Longest text SOF_SignData / SOF_SignMessage sign, characters (default 128 Ki; escaped in JSON it still fits a frame). */
export const XTX_MAX_SIGN_TEXT = 128 * 1024;
/** Requests one connection may have pending at once (default 16). */
export const MAX_PENDING_PER_CONNECTION = 16;
/** Open connections allowed per trusted origin (default 8). */
export const MAX_CONNECTIONS_PER_ORIGIN = 8;
/** Open connections of trusted origins allowed in total (default 64); untrusted ones never count here. */
export const MAX_CONNECTIONS_TOTAL = 64;
/** Open connections allowed per origin that is not trusted (default 4). */
export const MAX_UNTRUSTED_CONNECTIONS_PER_ORIGIN = 4;
/**
 * Open connections allowed for all origins that are not trusted together
 * (default 16): their own share, so however many sites a hostile page opens,
 * a trusted mall always gets in.
 */
export const MAX_UNTRUSTED_CONNECTIONS_TOTAL = 16;
/**
 * An untrusted connection with nothing pending that sent no request for this
 * long is closed (code 4001), ms (default 30 s): an idle socket only holds a slot.
 */
export const UNTRUSTED_IDLE_TIMEOUT_MS = 30_000;
/** Requests per second per connection, token bucket rate (default 50/s, burst 100). */
export const REQUESTS_PER_SECOND = 50;
export const REQUEST_BURST = 100;
/**
 * Frames over the rate a connection may send (each answered BUSY) before it is
 * closed with 1008 and no more of its frames are read: a second token bucket of
 * this burst (default 100) refilled at OVER_RATE_REFILL_PER_SECOND (default 10/s),
 * so a page that keeps sending faster than ~60 frames/s is cut off however slowly
 * the agent works through its frames.
 */
export const MAX_FRAMES_OVER_RATE = 100;
export const OVER_RATE_REFILL_PER_SECOND = 10;
/** After a connection was closed for flooding, new connections of its (untrusted) origin are refused for this long, ms (default 10 s). */
export const FLOOD_PENALTY_MS = 10_000;
/** Time a WebSocket handshake may take before the socket is destroyed, ms (default 5 s). */
export const HANDSHAKE_TIMEOUT_MS = 5_000;

/** A token-host call (list, read, sign), ms (default 15 s). */
export const TOKEN_CALL_TIMEOUT_MS = 15_000;
/** C_Login, which may wait for a PIN pad, ms (default 60 s). */
export const TOKEN_LOGIN_TIMEOUT_MS = 60_000;
/** Starting a token host and C_Initialize, ms (default 10 s). */
export const TOKEN_HOST_START_TIMEOUT_MS = 10_000;
/** Slot polling interval for hot-plug when no USB events are available, ms (default 500). */
export const SLOT_POLL_INTERVAL_MS = 500;
/**
 * Delay before work the assistant does not need to start, ms (default 1.5 s):
 * the hosts kept for hot-plug (the probe and the warm spare of a
 * `rescan: reinitialize` module) and USB monitoring. Done at start they would
 * slow it; meanwhile slot polling finds a new token, with a host started on demand.
 */
export const DEFERRED_START_DELAY_MS = 1_500;
/**
 * How long an SKF container kept open for signing is trusted to still hold the
 * signing certificate it held when checked, ms (default 10 s). Reading it again
 * costs a USB key several APDU rounds; not reading it would let a certificate
 * renewed by the CA's tool meanwhile sign under the old certificate.
 */
export const SKF_SIGNER_RECHECK_MS = 10_000;

/**
 * Consent dialogs one untrusted origin may have open at once (default 1); its
 * other requests meanwhile are refused BUSY, not queued behind the dialog.
 */
export const MAX_PENDING_CONSENTS_PER_ORIGIN = 1;
/** Consent dialogs open at once for all origins together (default 3): subdomains cannot queue a wall of dialogs in front of a trusted mall's PIN dialog. */
export const MAX_PENDING_CONSENTS_TOTAL = 3;
/**
 * Signature requests one origin may have queued or running per token, across
 * all its connections (default 16, one connection's worth); more are refused BUSY. Origins take turns
 * on a token, so another site's PIN dialog comes next, not after these.
 */
export const MAX_QUEUED_SIGNATURES_PER_ORIGIN = 16;
/** How long the user has to answer a PIN or consent dialog, ms (default 2 min). */
export const DIALOG_TIMEOUT_MS = 120_000;
/** N of the PIN dialog's “本次会话 N 分钟内不再询问” tick, minutes (default 10; config `pinReuseMinutes`, 0 hides the tick). */
export const DEFAULT_PIN_REUSE_MINUTES = 10;
/** Longest reuse a tick or a `pinReuseOrigins` entry may grant, minutes (default 8 h, a working day). */
export const MAX_PIN_REUSE_MINUTES = 480;

/** Audit log: fsync at most this long after a record is written, ms (default 1 s). */
export const AUDIT_FSYNC_MS = 1_000;
/** Audit log: rotate when the file exceeds this size, bytes (default 10 MiB). */
export const AUDIT_ROTATE_BYTES = 10 * 1024 * 1024;
/** Audit log: rotated files kept (default 5), unless a file holds signatures younger than AUDIT_RETENTION_DAYS. */
export const AUDIT_KEEP_FILES = 5;
/**
 * Audit log: a rotated file of signature records is never dropped while its
 * newest record is younger than this, days (default 365): rotation keeps more
 * files instead. Signatures need a PIN or a human, so this cannot be flooded.
 */
export const AUDIT_RETENTION_DAYS = 365;
/** Refused requests (no signature made) go to `refused.jsonl`, rotated at this size, bytes (default 2 MiB)… */
export const AUDIT_REFUSED_ROTATE_BYTES = 2 * 1024 * 1024;
/** …keeping this many old files (default 2); they can never push signature records out. */
export const AUDIT_REFUSED_KEEP_FILES = 2;
/** Refused-request records written per origin per minute (default 30); the rest are counted in one `SUPPRESSED` record. */
export const AUDIT_REFUSED_PER_ORIGIN_PER_MINUTE = 30;

/** Time a time-stamping authority has to answer, ms (default 10 s; config `timestamp.timeoutMs`). */
export const TIMESTAMP_TIMEOUT_MS = 10_000;
/** Largest time-stamp response read from a TSA, bytes (default 64 KiB; a token with its certificates is 2–8 KiB). */
export const MAX_TIMESTAMP_RESPONSE_BYTES = 64 * 1024;

/** Largest seal image accepted from a token or config, bytes (default 2 MiB). */
export const MAX_SEAL_IMAGE_BYTES = 2 * 1024 * 1024;
/** Largest config file read, bytes (default 256 KiB). */
export const MAX_CONFIG_BYTES = 256 * 1024;

/** 移动签: how often the assistant asks the signing service for a session's state, ms (default 500). */
export const MOBILE_POLL_INTERVAL_MS = 500;
/** 移动签: how long one request to the signing service may take, ms (default 5 s); slower is MOBILE_SERVICE_UNAVAILABLE. */
export const MOBILE_REQUEST_TIMEOUT_MS = 5_000;
/** 移动签: largest answer accepted from the signing service, bytes (default 4 MiB: a CMS and a seal image). */
export const MAX_MOBILE_RESPONSE_BYTES = 4 * 1024 * 1024;
/** 移动签: how long an expired QR waits for 刷新二维码 before the request ends MOBILE_EXPIRED, ms (default 120 s). */
export const MOBILE_REFRESH_WAIT_MS = 120_000;
/**
 * Certificates one CMS may carry for `verify.cms` and the CLI `verify`
 * (default 32). Checked on the decoded tree before any certificate is parsed:
 * real signatures carry the signer and its CAs, a handful.
 */
export const MAX_CMS_CERTIFICATES = 32;
/** SignerInfos one CMS may carry; each is verified and reported (default 8). */
export const MAX_CMS_SIGNERS = 8;
/**
 * Issuer candidates (same name, matching key identifier) tried per chain link
 * (default 4): each costs a signature check, so a CMS full of look-alike CA
 * certificates cannot make verification do unbounded work.
 */
export const MAX_CHAIN_CANDIDATES = 4;
/** One verify.cms in the verification child process, ms (default 10 s); longer ends that process: LIMIT_EXCEEDED. */
export const VERIFY_CMS_TIMEOUT_MS = 10_000;
/** Agent log (logs/agent.jsonl): rotate when the file would exceed this, bytes (default 5 MiB). */
export const LOG_ROTATE_BYTES = 5 * 1024 * 1024;
/** Agent log: rotated files kept (default 3). */
export const LOG_KEEP_FILES = 3;
/**
 * Longest an orderly shutdown (`serve` after SIGINT/SIGTERM) may take before the
 * process kills itself, ms (default 10 s): a port held by a half-dead agent
 * blocks the next start, which is worse than an unclean exit.
 */
export const SHUTDOWN_TIMEOUT_MS = 10_000;
