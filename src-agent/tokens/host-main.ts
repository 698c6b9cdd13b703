/**
 * Entry point of a token host child process: loads one PKCS#11 module (or an
 * SKF library, for a module path `skf:<path>`) and answers the agent's requests
 * one at a time over IPC. argv: the module path, then optionally the vendor's
 * SM2 constants as JSON (validated again here; unusable ones fail SM2 signing
 * with MODULE_FAILED, the module still serves everything else). A vendor module that crashes or hangs here costs the
 * agent one request, not the assistant.
 */
import { AssistantError, toAssistantError } from '../protocol/errors.js';
import { WAIT_FOR_MODULE_ARG, type HostCall, type HostHello, type HostOpen, type HostReply, type HostWireRequest } from './host-protocol.js';
import { PinChannel } from './pin-channel.js';
import type { P11Module } from './p11-module.js';
import { parseSm2Setting } from './p11-sm2.js';
import { providerOf } from './provider.js';

/** What both providers answer; the host does not care which it drives. */
type HostModule = Pick<P11Module, 'open' | 'close' | 'reinit' | 'info' | 'slots' | 'objects' | 'login' | 'logout' | 'loginState' | 'sign' | 'takeTrace'>;

const testHooks = process.env.CA_ASSISTANT_TEST_HOOKS === '1';
const send = (message: HostReply | HostHello): void => {
  process.send?.(message);
};

function errorOf(error: unknown): { reason: string; message: string; ckr?: string; detailZh?: string } {
  const e = toAssistantError(error);
  const { ckr, detailZh } = e.details;
  return { reason: e.reason, message: e.message, ...(ckr ? { ckr: String(ckr) } : {}), ...(typeof detailZh === 'string' ? { detailZh } : {}) };
}

const pins = new PinChannel();

async function handle(module: HostModule, request: HostWireRequest): Promise<unknown> {
  switch (request.op) {
    case 'info':
      return module.info();
    case 'slots':
      return module.slots(request.mechanisms);
    case 'objects':
      return module.objects(request.slotId);
    case 'login': {
      const pin = await pins.read(request.pinBytes);
      try {
        return module.login(request.slotId, pin);
      } finally {
        pin.fill(0);
      }
    }
    case 'logout':
      return module.logout(request.slotId);
    case 'loginState':
      return module.loginState(request.slotId);
    case 'sign':
      return module.sign(request.slotId, request.ckaId, request.certDer, request.mechanism, request.data);
    case 'reinit':
      return module.reinit();
    case 'trace':
      return module.takeTrace();
    case 'crash':
      if (testHooks) process.kill(process.pid, 'SIGKILL');
      break;
    case 'hang':
      if (testHooks) for (;;);
      break;
  }
  throw new AssistantError('BAD_REQUEST', `unknown host op`);
}

/** The module (and SM2 constants) from argv, or, for a host forked ahead of need, from the agent's first message. */
function moduleArgs(): Promise<{ modulePath?: string; sm2Setting?: string }> {
  if (process.argv[2] !== WAIT_FOR_MODULE_ARG) return Promise.resolve({ modulePath: process.argv[2], sm2Setting: process.argv[3] });
  return new Promise((resolve) => {
    // Never adopted: the agent started without needing it, or is gone.
    const leave = (): never => process.exit(0);
    process.once('disconnect', leave);
    process.once('message', (message: Partial<HostOpen>) => {
      process.off('disconnect', leave);
      const open = message.open;
      resolve(typeof open?.modulePath === 'string' ? { modulePath: open.modulePath, ...(typeof open.sm2 === 'string' ? { sm2Setting: open.sm2 } : {}) } : {});
    });
  });
}

async function main(): Promise<void> {
  const { modulePath, sm2Setting } = await moduleArgs();
  if (!modulePath || !process.send) {
    console.error('token host: must be started by the agent with a module path');
    process.exit(2);
  }
  const trace = process.env.CA_ASSISTANT_P11_TRACE === '1';
  const { provider, file } = providerOf(modulePath);
  // Load only the provider this host needs: koffi (SKF) costs every PKCS#11 host start otherwise.
  const sm2 = parseSm2Setting(sm2Setting);
  if (sm2.error) console.error(`token host: ${sm2.error}`);
  const module: HostModule =
    provider === 'skf' ? new (await import('./skf-module.js')).SkfModule(file, trace) : new (await import('./p11-module.js')).P11Module(file, trace, sm2);
  try {
    module.open();
  } catch (error) {
    send({ hello: true, ok: false, error: errorOf(error) });
    // Let the message flush before leaving.
    setTimeout(() => process.exit(1), 50);
    return;
  }
  send({ hello: true, ok: true });
  process.on('message', async (message: HostCall) => {
    let reply: HostReply;
    try {
      reply = { id: message.id, ok: true, result: await handle(module, message.request) };
    } catch (error) {
      reply = { id: message.id, ok: false, error: errorOf(error) };
    }
    send(reply);
  });
  process.on('disconnect', () => {
    pins.close();
    module.close();
    process.exit(0);
  });
}

void main();
