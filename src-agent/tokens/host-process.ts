/**
 * Starting token host processes. A process start is the longest step of
 * `serve` → listening (Node's own boot, ~90 ms on a 2-vCPU machine), so `serve`
 * forks one host before the rest of the agent loads ({@link preforkHost}); the
 * first token host that starts with the default environment adopts it and
 * sends it its module in a {@link HostOpen} message instead of argv.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { childEntry } from '../util/child-entry.js';
import { WAIT_FOR_MODULE_ARG } from './host-protocol.js';

/** Forks host-main with `args`: IPC with advanced serialization (Buffers as they are), stderr piped, the PIN channel on fd 4. */
export function spawnHost(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const { file, execArgv } = childEntry(import.meta.url, 'host-main');
  return fork(file, args, { execArgv, env, serialization: 'advanced', stdio: ['ignore', 'ignore', 'pipe', 'ipc', 'pipe'] });
}

let spare: ChildProcess | undefined;
/** Set once the token layer has started: a spare nobody took by then is not needed. */
let closed = false;

/** Forks one host that waits for its module, with the agent's environment. Idempotent. */
export function preforkHost(): void {
  if (spare || closed) return;
  const child = spawnHost([WAIT_FOR_MODULE_ARG], process.env);
  // Not adopted yet: its failures are nobody's request. It exits when the agent does (IPC
  // disconnect), and until adopted it must not keep the agent alive (a usage or config error exits at once).
  child.on('error', () => undefined);
  child.unref();
  child.channel?.unref();
  child.once('exit', () => {
    if (spare === child) spare = undefined;
  });
  spare = child;
}

/** The pre-forked host, alive and not yet taken, or undefined. Taken once. */
export function takePreforkedHost(): ChildProcess | undefined {
  const child = spare;
  spare = undefined;
  if (!child || !child.connected || child.exitCode !== null || child.signalCode !== null) return undefined;
  // A token host now: it keeps the agent alive as any other does.
  child.ref();
  child.channel?.ref();
  return child;
}

/** The token layer has started its hosts: a pre-forked host nobody took is ended, and no other is forked. */
export function releasePreforkedHost(): void {
  closed = true;
  const child = spare;
  spare = undefined;
  if (child?.connected) child.disconnect();
}
