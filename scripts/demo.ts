/**
 * `npm run demo`: the assistant on the SoftHSM demo tokens and a 国密 SM2 key
 * on the software SKF device (both created on first run under .fixtures/demo),
 * with real USB keys' drivers still discovered. Prints where to open things
 * and the demo PINs. Ctrl-C stops everything.
 *
 * Ports are fixed so the URLs stay the same across runs: API 21518
 * (CA_ASSISTANT_PORT, or the port saved in the assistant window), assistant
 * window 21519 (CA_ASSISTANT_UI_PORT), mall 8080 (MALL_PORT), 监管系统 8081
 * (MALL_RECEIVER_PORT). config.json is merged, never overwritten: see demo-config.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { writeDemoConfig } from './demo-config.js';
import { join, resolve } from 'node:path';
import { fixtureEnv, makeFixtures, readManifest } from '../tests/fixtures/make-fixtures.js';
import { ensureSkfSoft, makeSm2Fixtures } from '../tests/fixtures/sm2-fixtures.js';
import builtIn from '../src-agent/tokens/vendors.json' with { type: 'json' };
import { startMall } from '../examples/mall/server.js';
import { startTsa } from '../examples/tsa/server.js';
import { startMobileSign } from '../examples/mobile-sign/server.js';
import { renderSealPng } from '../tests/fixtures/seal-image.js';

const root = resolve(import.meta.dirname, '..');
const dir = join(root, '.fixtures', 'demo');
// Fixed ports, so the URLs stay the same across runs (each can be overridden).
const envPort = process.env.CA_ASSISTANT_PORT;
const mallPort = Number(process.env.MALL_PORT ?? 8080);
const tsaPort = Number(process.env.TSA_PORT ?? 8318);
const mobilePort = Number(process.env.MOBILE_SIGN_PORT ?? 8090);

/** The demo phone user of 公采易通 (移动签): the demo supplier's unit, with a 单位公章 and a 个人签章. */
const DEMO_PHONE = {
  account: '13800000001', enrolCode: 'GCYT-2468', name: '张三', org: '河南示例科技有限公司', uscc: '91410100MA44AB1C2X', idCard: '410105199003071234', pin: '135790',
};
const uiPort = Number(process.env.CA_ASSISTANT_UI_PORT ?? 21519);
const receiverPort = Number(process.env.MALL_RECEIVER_PORT ?? 8081);

/** The demo's 国密 key: what the assistant, the mall and the printout need. */
interface DemoSm2Key { moduleSpec: string; skfDir: string; rootPem: string; device: string; org: string; userPin: string }

/**
 * The SM2 PKI and SKF soft device under `sm2Dir`, made on the first run and reused after
 * (so contracts sealed in an earlier run still chain to the same root). Undefined, with the
 * reason printed, when it cannot be built (libskfsoft.so needs gcc): the rest of the demo runs.
 */
async function demoSm2Key(sm2Dir: string): Promise<DemoSm2Key | undefined> {
  const rootPem = join(sm2Dir, 'ca', 'sm2-root.pem');
  try {
    if (!existsSync(rootPem)) {
      const fx = await makeSm2Fixtures(sm2Dir);
      return { moduleSpec: fx.moduleSpec, skfDir: fx.skfDir, rootPem: fx.files.root, device: fx.device, org: fx.org.name, userPin: fx.userPin };
    }
    const skfDir = join(sm2Dir, 'skf');
    const device = readdirSync(skfDir)[0] ?? '';
    const application = readdirSync(join(skfDir, device)).find((f) => f !== 'device.conf') ?? '';
    const userPin = readFileSync(join(skfDir, device, application, 'pin'), 'utf8').trim();
    const org = /^O=(.*)$/m.exec(new X509Certificate(readFileSync(join(sm2Dir, 'ca', 'org-sign.pem'))).subject)?.[1] ?? '';
    return { moduleSpec: `skf:${await ensureSkfSoft()}`, skfDir, rootPem, device, org, userPin };
  } catch (error) {
    console.warn(`国密 SM2 演示锁未能启动（${(error as Error).message}）；其余演示照常运行。`);
    return undefined;
  }
}

async function main(): Promise<void> {
  const manifest = existsSync(join(dir, 'fixtures.json')) ? await readManifest(dir) : await makeFixtures(dir);
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir, { recursive: true });
  const gm = await demoSm2Key(join(dir, 'sm2'));
  // 移动签: the 公采易通 stand-in and its mobile CA (kept under .fixtures/demo/mobile-sign across runs).
  const mobile = await startMobileSign({
    port: mobilePort, host: '127.0.0.1', dataDir: join(dir, 'mobile-sign'),
    accounts: [{
      ...DEMO_PHONE,
      seals: {
        organization: { mime: 'image/png', image: renderSealPng(DEMO_PHONE.org), widthMm: 42, heightMm: 42 },
        personal: { mime: 'image/png', image: renderSealPng(DEMO_PHONE.name, { sizePx: 240, diameterMm: 20 }), widthMm: 20, heightMm: 20 },
      },
    }],
  });
  const trustAnchors = [manifest.rootCa, ...(gm ? [gm.rootPem] : [])];
  // The demo tokens are served through pin-guard; SoftHSM itself must not be discovered a second time.
  const softhsm = builtIn.vendors.find((v) => v.id === 'softhsm');
  writeFileSync(join(dir, 'vendors.demo.json'), JSON.stringify({ vendors: [{ ...softhsm, discover: false }] }, null, 2));
  // The demo's time-stamping authority (openssl ts behind HTTP): every seal gets a trusted time (PAdES B-T).
  const tsa = await startTsa({ dir: join(dir, 'tsa'), port: tsaPort });
  const wanted = {
    port: Number(envPort ?? 21518),
    trustedOrigins: [`http://127.0.0.1:${mallPort}`, `http://localhost:${mallPort}`],
    modules: [manifest.pinGuardModule, ...(gm ? [gm.moduleSpec] : [])],
    vendorTable: join(dir, 'vendors.demo.json'),
    trustAnchors,
    intermediates: [manifest.intermediateCa],
    dataDir,
    timestamp: { url: tsa.url, trustAnchors: [tsa.pki.rootPem] },
    mobileSigning: { serviceUrl: mobile.url, trustAnchors: [mobile.caFile] },
  };
  const configFile = join(dir, 'config.json');
  // Settings the user saved (in the assistant window or by hand) survive the next run; CA_ASSISTANT_PORT wins for this run.
  const { config, kept } = writeDemoConfig(configFile, wanted, envPort ? ['port'] : []);
  const port = Number(config.port);

  const demoEnv = { ...fixtureEnv(manifest), ...(gm ? { SKF_SOFT_DIR: gm.skfDir } : {}) };
  const env = { ...process.env, ...demoEnv };
  writeFileSync(join(dir, 'env'), Object.entries(demoEnv).map(([k, v]) => `export ${k}=${v}\n`).join(''));
  const children: ChildProcess[] = [];
  const agent = spawn(process.execPath, [join(root, 'bin', 'ca-assistant.mjs'), 'serve', '--config', configFile, '--ui-port', String(uiPort)], { env, stdio: 'inherit' });
  children.push(agent);
  const mall = await startMall({
    port: mallPort, dataDir: join(dir, 'mall'), assistantUrl: `ws://127.0.0.1:${port}/`,
    // The mall and its 监管系统 also trust the mobile CA: contracts sealed by phone file like the others.
    trustAnchors: [...trustAnchors, mobile.caFile], intermediates: [manifest.intermediateCa], tsaAnchors: [tsa.pki.rootPem], receiverPort, downloadsDir: join(root, 'release'),
  });

  console.log('\n互认助手演示 / CA assistant demo');
  console.log(`  本地接口 API:      ws://127.0.0.1:${port}/`);
  console.log(`  参考商城 mall:      ${mall.url}/   （切换用户：供应商 张三 / 王五${gm ? ' / 赵六（国密）' : ''}，采购人 李四）`);
  console.log(`  监管系统 receiver: ${mall.receiverUrl}/filings`);
  console.log(`  时间戳服务 TSA:     ${tsa.url}  （每个签章带可信时间戳 / every seal is time-stamped）`);
  console.log(`  助手界面 window:    http://127.0.0.1:${uiPort}/（完整地址含本次运行的密钥，见上方“助手界面”一行）`);
  console.log(`  配置 config:       ${configFile}${kept.length ? `（保留了您保存的设置：${kept.join('、')}）` : ''}`);
  console.log('  演示 CA 锁（SoftHSM）及 PIN / demo tokens and PINs:');
  for (const t of manifest.tokens) console.log(`    ${t.label.padEnd(6, '　')} PIN ${t.userPin}`);
  if (gm) {
    console.log('  国密 SM2 演示锁（SKF 软件锁）/ SM2 demo key (software SKF device):');
    console.log(`    ${gm.device}  PIN ${gm.userPin}  ${gm.org}（签名证书 + 加密证书）`);
    console.log('    在商城切换到“赵六（国密供应商）”即可用国密证书签章 / switch to 赵六 in the mall to seal with SM2');
  }
  console.log('  移动签（公采签）/ mobile signing:');
  console.log(`    手机应用 phone app: ${mobile.url}/   （在手机浏览器或电脑浏览器的手机模式中打开；需摄像头）`);
  console.log(`    演示手机用户: 账号 ${DEMO_PHONE.account}  激活码 ${DEMO_PHONE.enrolCode}  应用密码请设为 ${DEMO_PHONE.pin}`);
  console.log(`      ${DEMO_PHONE.org}：单位公章 + 个人签章（${DEMO_PHONE.name}）；在商城以 张三 点击【公采签】，扫描互认助手弹出的二维码`);
  console.log('  按 Ctrl-C 退出 / Ctrl-C to stop\n');

  const stop = (): void => {
    for (const child of children) child.kill('SIGTERM');
    void mall.close();
    void tsa.close();
    void mobile.close();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  agent.on('exit', (code) => {
    stop();
    process.exitCode = code ?? 0;
  });
}

await main();
