// Integration: the web console end to end in headless Chromium (Debian's `chromium`, driven by
// playwright-core) against a real broker with real data produced by kcat and KafkaJS: the
// brokers page, the topics list and its filter, a topic's partitions, the message browser
// showing produced keys, headers and values, a consumer group's lag, throughput charts, and a
// topic created and deleted from the UI as a Kafka client sees it. Screenshots go to
// test-artifacts/console/*.png. Without /usr/bin/chromium the file FAILS with a message saying
// how to install it (.ci/run does).
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type BrokerHandle } from '../helpers/broker.js';
import { GROUP_TEST_FLAGS } from '../helpers/groups.js';
import { createTopicOn, kafkaClient } from '../helpers/kafkajs.js';
import { kcatProduce } from '../helpers/kcat.js';
import { httpPortOf } from '../helpers/metrics.js';
import { strataOk } from '../helpers/strata-cli.js';
import { uniqueTopic } from '../helpers/topics.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const ARTIFACTS = path.resolve('test-artifacts', 'console');

describe('web console in headless Chromium', () => {
  let broker: BrokerHandle;
  let base: string;
  let browser: Browser;
  let page: Page;
  const external: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!fs.existsSync(CHROMIUM)) {
      throw new Error(`headless Chromium not found at ${CHROMIUM}: install Debian's package (apt-get install chromium; .ci/run does) or set CHROMIUM_PATH`);
    }
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    broker = await startBroker({ args: [...GROUP_TEST_FLAGS, '--redis.url=', '--worker.threads=2'] });
    base = `http://127.0.0.1:${httpPortOf(broker)}/console/`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(15_000);
    // Nothing but the broker is fetched, and no script error happens (checked by the last test).
    const origin = base.replace(/\/console\/$/, '');
    page.on('request', (r) => {
      if (!r.url().startsWith(origin) && !r.url().startsWith('data:')) external.push(r.url());
    });
    page.on('pageerror', (err) => pageErrors.push(err.message));
  });

  afterAll(async () => {
    await browser?.close();
  });

  const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
  const go = async (hash: string) => {
    await page.goto(`${base}#${hash}`);
  };

  it('brokers page: this broker is the controller', async () => {
    await go('/brokers');
    await expect.poll(() => page.locator('[data-testid=controller]').textContent()).toBe('1');
    const row = page.locator('table[data-testid=brokers] tr[data-node="1"]');
    await row.waitFor();
    expect(await row.textContent()).toContain(`${broker.host}:${broker.port}`);
    expect(await row.textContent()).toContain('controller');
    await shot('brokers');
  });

  it('topics page lists the topics; the filter narrows them', async () => {
    const a = uniqueTopic('alpha');
    const b = uniqueTopic('beta');
    await createTopicOn(broker.bootstrap, a, 2);
    await createTopicOn(broker.bootstrap, b, 3);
    await go('/topics');
    await page.locator(`tr[data-topic="${a}"]`).waitFor();
    await page.locator(`tr[data-topic="${b}"]`).waitFor();
    expect(await page.locator(`tr[data-topic="${b}"] td`).nth(1).textContent()).toBe('3');
    await shot('topics');
    await page.locator('[data-testid=topic-filter]').fill(b);
    await expect.poll(() => page.locator('[data-testid=topic-count]').textContent()).toBe('1 topics');
    expect(await page.locator('table[data-testid=topics] tbody tr').count()).toBe(1);
    expect(await page.locator(`tr[data-topic="${a}"]`).count()).toBe(0);
  });

  it('topic page and message browser show the produced keys, headers and values', async () => {
    const topic = uniqueTopic();
    await createTopicOn(broker.bootstrap, topic, 2);
    await kcatProduce(broker.bootstrap, topic, 'order-1:{"item":"tea","qty":2}\norder-2:hello world\n', { partition: 1, keyDelimiter: ':', headers: [['source', 'kcat']] });
    await go(`/topics/${topic}`);
    const p1 = page.locator('table[data-testid=partitions] tr[data-partition="1"]');
    await p1.waitFor();
    await expect.poll(() => p1.locator('[data-testid=end-offset]').textContent()).toBe('2');
    await shot('topic');

    await page.locator('[data-testid=browse-messages]').click();
    await expect.poll(() => page.locator('[data-testid=partition] option').count()).toBe(2);
    await page.locator('[data-testid=partition]').selectOption('1');
    await page.locator('[data-testid=mode]').selectOption('offset');
    await page.locator('[data-testid=offset]').fill('0');
    await page.locator('[data-testid=load-messages]').click();
    const rows = page.locator('table[data-testid=messages] tbody tr');
    await expect.poll(() => rows.count()).toBe(2);
    expect(await rows.nth(0).locator('td.key').textContent()).toBe('order-1');
    expect(await rows.nth(0).locator('td.value pre').textContent()).toBe(JSON.stringify({ item: 'tea', qty: 2 }, null, 2));
    expect(await rows.nth(0).locator('td.headers').textContent()).toBe('source: kcat');
    expect(await rows.nth(1).locator('td.key').textContent()).toBe('order-2');
    expect(await rows.nth(1).locator('td.value').textContent()).toBe('hello world');
    expect(await page.locator('[data-testid=browse-summary]').textContent()).toContain('showing 2 from 0');
    await shot('messages');
  });

  it("a consumer group's page shows committed offset, end offset and lag", async () => {
    const topic = uniqueTopic();
    const group = `g-${topic}`;
    await createTopicOn(broker.bootstrap, topic, 3);
    await kcatProduce(broker.bootstrap, topic, Array.from({ length: 40 }, (_, i) => `v${i}`).join('\n') + '\n', { partition: 2 });
    await strataOk(['consume', topic, '--group', group, '--from-beginning', '--partition', '2', '--max-messages', '15', '--bootstrap-server', broker.bootstrap]);
    await go('/groups');
    await page.locator(`tr[data-group="${group}"] a`).click();
    const row = page.locator(`table[data-testid=group-lag] tr[data-tp="${topic}:2"]`);
    await row.waitFor();
    expect(await row.locator('[data-col=committed]').textContent()).toBe('15');
    expect(await row.locator('[data-col=end]').textContent()).toBe('40');
    expect(await row.locator('[data-col=lag]').textContent()).toBe('25');
    expect(await page.locator('[data-testid=total-lag]').textContent()).toBe('25');
    await page.locator('[data-testid=lag-chart] svg').waitFor();
    await shot('group');
  });

  it('throughput page charts records in and out', async () => {
    const topic = uniqueTopic();
    await createTopicOn(broker.bootstrap, topic, 1);
    await go('/throughput');
    await kcatProduce(broker.bootstrap, topic, Array.from({ length: 1000 }, (_, i) => `r${i}`).join('\n') + '\n');
    await page.locator('[data-testid=records-chart] polyline').first().waitFor();
    await expect.poll(async () => Number(/(\d+) records in/.exec((await page.locator('[data-testid=totals]').textContent()) ?? '')?.[1] ?? 0), { timeout: 10_000 }).toBeGreaterThanOrEqual(1000);
    await shot('throughput');
  });

  it('a topic created from the UI exists for a Kafka client; deleting it from the UI removes it', async () => {
    const topic = uniqueTopic('ui');
    await go('/topics');
    await page.locator('[data-testid=new-topic]').click();
    const form = page.locator('form[data-testid=create-topic]');
    await form.locator('input[name=name]').fill(topic);
    await form.locator('input[name=partitions]').fill('5');
    await form.locator('textarea[name=configs]').fill('retention.ms=7200000');
    await shot('create-topic');
    await form.locator('button[type=submit]').click();
    await page.waitForURL(`**/#/topics/${topic}`);
    await expect.poll(() => page.locator('table[data-testid=partitions] tbody tr').count()).toBe(5);

    const admin = kafkaClient(broker.bootstrap).admin();
    await admin.connect();
    try {
      const md = await admin.fetchTopicMetadata({ topics: [topic] });
      expect(md.topics[0]!.partitions).toHaveLength(5);
      const configs = await admin.describeConfigs({ resources: [{ type: 2, name: topic, configNames: ['retention.ms'] }], includeSynonyms: false });
      expect(configs.resources[0]!.configEntries[0]!.configValue).toBe('7200000');

      await page.locator('[data-testid=delete-topic]').click();
      const confirm = page.locator('[data-testid=delete-confirm-button]');
      expect(await confirm.isDisabled()).toBe(true);
      await page.locator('[data-testid=delete-confirm-name]').fill(topic);
      await shot('delete-topic');
      await confirm.click();
      await page.waitForURL('**/#/topics');
      expect(await admin.listTopics()).not.toContain(topic);
    } finally {
      await admin.disconnect();
    }
  });

  it('fetched nothing but the broker and raised no script error on any page', () => {
    expect(external).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
