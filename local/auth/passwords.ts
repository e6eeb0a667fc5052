// Password hashing (bcrypt, cost 10, as GoTrue). bcryptjs is pure JavaScript and costs ~80 ms of CPU
// per hash, so it runs on a small worker pool: the gateway, Realtime and Auth's own event loop stay
// responsive during sign-in bursts, and a second core is used when there is one.
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import os from 'node:os';
import bcrypt from 'bcryptjs';

export const BCRYPT_COST = 10;

/** GoTrue rejects longer passwords instead of letting bcrypt truncate them silently. */
export const MAX_PASSWORD_BYTES = 72;

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** False for a wrong password and for anything that is not a bcrypt hash. */
  verify(password: string, hash: string): Promise<boolean>;
  close(): Promise<void>;
}

const BCRYPT_HASH = /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/;

export function isBcryptHash(value: string): boolean {
  return BCRYPT_HASH.test(value);
}

// Plain CommonJS so it runs as an `eval` worker without a TypeScript loader.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const bcrypt = require(workerData.bcryptPath);
parentPort.on('message', (job) => {
  try {
    const result = job.op === 'hash' ? bcrypt.hashSync(job.password, job.cost) : bcrypt.compareSync(job.password, job.hash);
    parentPort.postMessage({ id: job.id, result });
  } catch (err) {
    parentPort.postMessage({ id: job.id, error: String((err && err.message) || err) });
  }
});
`;

type Job = { op: 'hash'; password: string; cost: number } | { op: 'verify'; password: string; hash: string };
interface Slot {
  worker: Worker;
  busy: number;
}
interface Pending {
  slot: Slot;
  resolve(value: string | boolean): void;
  reject(err: Error): void;
}

export function createPasswordHasher(threads = Math.min(2, os.availableParallelism())): PasswordHasher {
  const pending = new Map<number, Pending>();
  let nextId = 0;
  let slots: Slot[] = [];
  try {
    const bcryptPath = createRequire(import.meta.url).resolve('bcryptjs');
    for (let i = 0; i < threads; i++) {
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { bcryptPath } });
      const slot: Slot = { worker, busy: 0 };
      worker.unref();
      worker.on('message', (msg: { id: number; result?: string | boolean; error?: string }) => {
        slot.busy--;
        const job = pending.get(msg.id);
        pending.delete(msg.id);
        if (!job) return;
        if (msg.error !== undefined) job.reject(new Error(msg.error));
        else job.resolve(msg.result as string | boolean);
      });
      // A dead worker leaves the pool; its jobs fail and later jobs use the others or this thread.
      worker.on('error', (err) => {
        slots = slots.filter((s) => s !== slot);
        for (const [id, job] of pending) {
          if (job.slot !== slot) continue;
          pending.delete(id);
          job.reject(err);
        }
      });
      slots.push(slot);
    }
  } catch {
    slots = [];
  }

  function run(job: Job): Promise<string | boolean> {
    const slot = slots.reduce<Slot | undefined>((best, s) => (!best || s.busy < best.busy ? s : best), undefined);
    if (!slot) {
      return job.op === 'hash' ? bcrypt.hash(job.password, job.cost) : bcrypt.compare(job.password, job.hash);
    }
    const id = nextId++;
    slot.busy++;
    return new Promise((resolve, reject) => {
      pending.set(id, { slot, resolve, reject });
      slot.worker.postMessage({ id, ...job });
    });
  }

  return {
    async hash(password) {
      return (await run({ op: 'hash', password, cost: BCRYPT_COST })) as string;
    },
    async verify(password, hash) {
      if (!isBcryptHash(hash)) return false;
      return (await run({ op: 'verify', password, hash })) as boolean;
    },
    async close() {
      const workers = slots.map((s) => s.worker);
      slots = [];
      await Promise.all(workers.map((w) => w.terminate()));
      for (const job of pending.values()) job.reject(new Error('password hasher closed'));
      pending.clear();
    },
  };
}
