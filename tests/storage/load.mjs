// Runs worker.mjs in several processes against one storage; optionally kills some with
// SIGKILL halfway and starts replacements. Resolves to the merged reports of the survivors.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { contactOf } from './helpers.mjs';

const worker = fileURLToPath(new URL('./worker.mjs', import.meta.url));
let seeds = 1;

function start(spec, seconds) {
  const child = spawn(process.execPath, [worker, spec, String(seeds++ * 7919), String(seconds)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  const finished = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, out, err })));
  return { child, finished };
}

export async function runLoad({ spec, workers, seconds, kill = 0, label }) {
  const running = Array.from({ length: workers }, () => start(spec, seconds));
  let killed = 0;
  if (kill > 0) {
    await new Promise((r) => setTimeout(r, (seconds * 1000) / 2));
    for (const w of running.slice(0, kill)) {
      w.child.kill('SIGKILL');
      killed++;
    }
    // Restart: fresh processes take over the killed ones' share of the load.
    for (let i = 0; i < kill; i++) running.push(start(spec, seconds / 2));
  }
  const results = await Promise.all(running.map((w) => w.finished));
  const counts = {};
  const unexpected = [];
  const earns = [];
  const redeems = [];
  for (const r of results) {
    if (r.signal === 'SIGKILL') continue;
    assert.equal(r.code, 0, `a worker failed: ${r.err}`);
    const report = JSON.parse(r.out.trim().split('\n').pop());
    for (const [k, v] of Object.entries(report.counts)) counts[k] = (counts[k] ?? 0) + v;
    unexpected.push(...report.unexpected);
    earns.push(...report.earns);
    redeems.push(...report.redeems);
  }
  assert.deepEqual(unexpected, [], 'no unexpected errors');
  const ops = Object.entries(counts).filter(([k]) => k !== 'no account yet').reduce((s, [, v]) => s + v, 0);
  console.log(`# ${label}: ${workers} processes for ${seconds}s${kill ? `, ${killed} killed with SIGKILL halfway and restarted` : ''}: ${ops} operations`);
  for (const [k, v] of Object.entries(counts).sort()) console.log(`#   ${k}: ${v}`);
  return { ops, counts, earns, redeems, killed, contacts: Array.from({ length: 24 }, (_, i) => contactOf(i)) };
}
