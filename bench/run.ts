/**
 * Runs benchmarks and prints their figures (never asserted in tests).
 *
 *   node bin/run-ts.mjs bench/run.ts [NAME...] [--quick]
 *
 * With no NAME every benchmark runs, in the order below. Each writes
 * bench/results/<NAME>.json. Exit 2 on an unknown name.
 */

/** A benchmark module: `run(args)` prints a table and writes its JSON. */
interface Benchmark {
  run(args: string[]): Promise<void>;
}

/** Every benchmark, in run order. */
const BENCHMARKS: Record<string, { about: string; load: () => Promise<Benchmark> }> = {
  sign: { about: 'signatures/s and p50/p99: raw C_Sign vs token host vs full CMS', load: () => import('./sign.js') },
  'api-latency': { about: 'sign.hash (cms) over the WebSocket vs raw C_Sign + in-process CMS, p50/p99', load: () => import('./api-latency.js') },
  'api-breakdown': { about: 'where the time of one sign.hash goes, segment by segment, beside the ws and IPC round-trip floors', load: () => import('./api-breakdown.js') },
  throughput: { about: 'signatures/s with 1, 8, 32 clients on one and two tokens vs raw single-session rate', load: () => import('./throughput.js') },
  verify: { about: 'verifyCms in process: openssl RSA/EC CMS and SM2 CMS, p50/p99, first call apart', load: () => import('./verify.js') },
  'verify-blocking': { about: 'verify.cms of a 48 KiB CMS of look-alike SM2 CAs while another client pings: ping and event-loop delay', load: () => import('./verify-blocking.js') },
  'cold-start': { about: 'serve start to listening with tokens enumerated, minus bare node start', load: () => import('./cold-start.js') },
  memory: { about: 'agent RSS idle and after 10,000 signatures', load: () => import('./memory.js') },
  hotplug: { about: 'token appears -> tokens.changed latency, and idle CPU of watching', load: () => import('./hotplug.js') },
  timestamp: { about: 'sign.hash cms without and with an RFC 3161 time-stamp (loopback openssl TSA), and the TSA round trip alone', load: () => import('./timestamp.js') },
  check: { about: '环境检测 (check.run) full run time, PIN answered by script', load: () => import('./check.js') },
};

function usage(): string {
  const lines = Object.entries(BENCHMARKS).map(([name, b]) => `  ${name.padEnd(10)} ${b.about}`);
  return ['usage: node bin/run-ts.mjs bench/run.ts [NAME...] [--quick]', '', 'benchmarks:', ...lines].join('\n');
}

const args = process.argv.slice(2);
const names = args.filter((a) => !a.startsWith('-'));
const flags = args.filter((a) => a.startsWith('-'));
if (flags.includes('--help') || flags.includes('-h')) {
  console.log(usage());
} else {
  const unknown = names.filter((n) => !(n in BENCHMARKS));
  if (unknown.length > 0) {
    console.error(`unknown benchmark: ${unknown.join(', ')}\n\n${usage()}`);
    process.exit(2);
  }
  for (const name of names.length > 0 ? names : Object.keys(BENCHMARKS)) {
    console.log(`\n== ${name} ==`);
    await (await BENCHMARKS[name]!.load()).run(flags);
  }
}
