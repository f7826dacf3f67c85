/**
 * A worker thread taking requests from the shared SQLite limit store, as serverless-offline's
 * worker threads do (test/unit/limits.test.ts): posts back how many were allowed.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteLimitStore } from '../../src/lambda/limits/store.ts';

const { file, clientId, plan, nowMs, requests } = workerData as { file: string; clientId: number; plan: never; nowMs: number; requests: number };
const store = await SqliteLimitStore.open(file);
let allowed = 0;
for (let i = 0; i < requests; i++) if (store.take(clientId, plan, nowMs).allowed) allowed += 1;
store.close();
parentPort!.postMessage(allowed);
