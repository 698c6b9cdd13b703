/**
 * Runs jobs one at a time per key (a token), taking turns between the parties
 * that queued them (origins; null for the user in the assistant): after one
 * job of party A, the oldest job of the next party in line runs, not A's next.
 * So one page's queued signatures, each behind a PIN dialog, cannot starve
 * another site on the same key. Each party may have at most `perParty` jobs
 * queued or running per key, across all its connections.
 */
import { AssistantError } from '../../protocol/errors.js';

interface Job {
  run: () => Promise<void>;
}

interface Lane {
  running: boolean;
  /** Parties in turn order, each with its FIFO of jobs. */
  parties: Map<string | null, Job[]>;
  /** Jobs queued or running per party. */
  counts: Map<string | null, number>;
}

export class FairQueue {
  readonly #lanes = new Map<string, Lane>();

  constructor(private readonly perParty: number) {}

  /** True while the key has a job running or queued. */
  busy(key: string): boolean {
    return this.#lanes.has(key);
  }

  /**
   * Queues `body` for `party` on `key`.
   * @throws AssistantError BUSY when the party has `perParty` jobs on this key already (when `bounded`).
   */
  run<T>(key: string, party: string | null, body: () => Promise<T>, bounded = true): Promise<T> {
    let lane = this.#lanes.get(key);
    if (!lane) this.#lanes.set(key, (lane = { running: false, parties: new Map(), counts: new Map() }));
    const count = lane.counts.get(party) ?? 0;
    if (bounded && count >= this.perParty) {
      return Promise.reject(new AssistantError('BUSY', `${party ?? 'the assistant'} has ${count} requests queued on this key`, { detailZh: '此网站在该 CA 锁上等待处理的签名请求过多，请等前面的完成后再试。' }));
    }
    lane.counts.set(party, count + 1);
    const current = lane;
    return new Promise<T>((resolve, reject) => {
      const job: Job = {
        run: () =>
          body().then(resolve, reject).finally(() => {
            const left = (current.counts.get(party) ?? 1) - 1;
            if (left > 0) current.counts.set(party, left);
            else current.counts.delete(party);
          }),
      };
      const jobs = current.parties.get(party);
      if (jobs) jobs.push(job);
      else current.parties.set(party, [job]);
      this.#pump(key, current);
    });
  }

  #pump(key: string, lane: Lane): void {
    if (lane.running) return;
    const next = lane.parties.entries().next();
    if (next.done) {
      this.#lanes.delete(key);
      return;
    }
    const [party, jobs] = next.value;
    const job = jobs.shift() as Job;
    lane.running = true;
    void job.run().finally(() => {
      // Take turns: once its job is done, this party goes to the back of the line (Map order is
      // insertion order), behind everyone who queued meanwhile.
      const left = lane.parties.get(party);
      lane.parties.delete(party);
      if (left && left.length > 0) lane.parties.set(party, left);
      lane.running = false;
      this.#pump(key, lane);
    });
  }
}
