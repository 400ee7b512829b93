// Thread: main (bench). Web console page load with many topics (issue 17): a fresh broker,
// --topics topics (default 1,000, 1 partition each, created through the console API with a few
// requests in flight), then headless Chromium (Debian's chromium via playwright-core) loads
// /console/#/topics --loads times: cold (a new browser context, empty cache) and warm (the
// same context reloading: index.html revalidated, hashed assets from cache), each timed from
// navigation start to the topics table rendered with its first page and the topic count.
// Also the /console/api/topics call alone (fetch from Node), and the browser's floor (a fresh
// context loading /healthz, no script). Prints p50/max and writes
// bench/results/console-load-<timestamp>.json. Figures are printed, never asserted.
//
// Usage: node bench/console-load.mjs [--topics=1000] [--loads=5] [--chromium=/usr/bin/chromium]
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { isMain, parseArgs } from './lib/cli.mjs';
import { startBroker } from './lib/broker.mjs';
import { machineInfo, round, writeResult } from './lib/results.mjs';

const DEFAULTS = { topics: 1000, loads: 5, chromium: '/usr/bin/chromium' };
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function stats(ms) {
  const s = [...ms].sort((a, b) => a - b);
  return { count: s.length, p50Ms: round(s[Math.floor((s.length - 1) / 2)], 1), maxMs: round(s[s.length - 1], 1), allMs: ms.map((x) => round(x, 1)) };
}

async function createTopics(base, count) {
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const name = `console-load-${String(i).padStart(4, '0')}`;
      const res = await fetch(`${base}/console/api/topics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, partitions: 1 }), signal: AbortSignal.timeout(30_000) });
      if (res.status !== 201) throw new Error(`creating ${name}: ${res.status} ${await res.text()}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return performance.now() - started;
}

/** Navigates to the topics page and waits until the table shows its first page and the count. */
async function timedLoad(page, url, topics, reload) {
  const started = performance.now();
  if (reload) await page.reload({ waitUntil: 'commit' });
  else await page.goto(url, { waitUntil: 'commit' });
  await page.waitForFunction(
    (n) => document.querySelector('[data-testid=topic-count]')?.textContent === `${n} topics` && document.querySelectorAll('table[data-testid=topics] tbody tr').length === Math.min(n, 100),
    topics,
    { timeout: 30_000, polling: 'raf' },
  );
  return performance.now() - started;
}

export async function runConsoleLoad(opts) {
  if (!existsSync(opts.chromium)) throw new Error(`headless Chromium not found at ${opts.chromium} (apt-get install chromium)`);
  let httpPort;
  const broker = await startBroker({
    config: { 'redis.url': '' },
    onStdoutLine: (line) => {
      if (httpPort === undefined && line.includes('"broker ready"')) httpPort = JSON.parse(line).httpPort;
    },
  });
  const browser = await chromium.launch({ executablePath: opts.chromium, args: CHROMIUM_ARGS });
  try {
    const base = `http://127.0.0.1:${httpPort}`;
    const createMs = await createTopics(base, opts.topics);
    const url = `${base}/console/#/topics`;
    const api = [];
    for (let i = 0; i < opts.loads; i++) {
      const t = performance.now();
      const res = await fetch(`${base}/console/api/topics?limit=100`);
      const body = await res.json();
      if (body.total !== opts.topics) throw new Error(`API lists ${body.total} topics, expected ${opts.topics}`);
      api.push(performance.now() - t);
    }
    // The browser's own floor on this machine: a fresh context loading /healthz (no script).
    const floor = [];
    for (let i = 0; i < opts.loads; i++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      const t = performance.now();
      await page.goto(`${base}/healthz`, { waitUntil: 'load' });
      floor.push(performance.now() - t);
      await context.close();
    }
    const cold = [];
    for (let i = 0; i < opts.loads; i++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      cold.push(await timedLoad(page, url, opts.topics, false));
      await context.close();
    }
    const warm = [];
    const context = await browser.newContext();
    const page = await context.newPage();
    await timedLoad(page, url, opts.topics, false);
    for (let i = 0; i < opts.loads; i++) warm.push(await timedLoad(page, url, opts.topics, true));
    const transferred = await page.evaluate(() => performance.getEntriesByType('resource').reduce((s, e) => s + (e.transferSize ?? 0), 0));
    await context.close();
    return { topics: opts.topics, createTopicsMs: round(createMs, 0), apiTopicsPage: stats(api), browserFloor: stats(floor), coldLoad: stats(cold), warmLoad: stats(warm), warmTransferBytes: transferred };
  } finally {
    await browser.close();
    await broker.stop();
  }
}

export function printConsoleLoad(r) {
  console.log(`console load with ${r.topics} topics (created in ${r.createTopicsMs} ms through the console API)`);
  console.log(`  /console/api/topics (first page):  p50 ${r.apiTopicsPage.p50Ms} ms  max ${r.apiTopicsPage.maxMs} ms`);
  console.log(`  browser floor (/healthz, no JS):   p50 ${r.browserFloor.p50Ms} ms  max ${r.browserFloor.maxMs} ms`);
  console.log(`  page load, cold (empty cache):     p50 ${r.coldLoad.p50Ms} ms  max ${r.coldLoad.maxMs} ms`);
  console.log(`  page load, warm (reload):          p50 ${r.warmLoad.p50Ms} ms  max ${r.warmLoad.maxMs} ms`);
}

if (isMain(import.meta.url)) {
  const opts = parseArgs(process.argv.slice(2), DEFAULTS);
  const result = await runConsoleLoad(opts);
  printConsoleLoad(result);
  const file = writeResult('console-load', { machine: machineInfo(), options: opts, result });
  console.log(`wrote ${file}`);
}
