// Thread: main. The elastic-slot controller. Every worker.scale.interval.ms it samples the
// engine (each slot thread's busy fraction, each partition's bytes/s) and, when the broker is
// elastic (worker.threads.min < worker.threads.max), asks the scaling policy what to do and
// does it: add a slot and move the hottest partitions onto it, move partitions between slots,
// or move the last slot's partitions away and retire it. One decision runs at a time and no
// sample is taken while it runs (the policy restarts its window after a decision). Every
// decision is logged with its reason, the partitions moved and how long they were paused.
import type { Logger } from 'pino';
import type { PartitionId } from '../ipc/partition-id.js';
import type { MoveReport, PartitionEngine } from './partition-engine.js';
import type { ScalingDecision, ScalingPolicy } from './scaling-policy.js';

export interface ElasticSlotsOptions {
  engine: PartitionEngine;
  /** Absent: sampling only (fixed slot count; the samples feed the admin view and metrics). */
  policy: ScalingPolicy | undefined;
  intervalMs: number;
  logger: Logger;
  /** Called after each executed decision (tests, metrics). */
  onDecision?: (decision: Exclude<ScalingDecision, { kind: 'none' }>, moves: MoveReport[]) => void;
}

export class ElasticSlots {
  private timer: NodeJS.Timeout | undefined;
  /** The decision being carried out (at most one). */
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly opts: ElasticSlotsOptions) {}

  start(): void {
    this.opts.engine.sampleLoad(); // starts the first interval
    this.timer = setInterval(() => {
      this.tick().catch((err: unknown) => this.opts.logger.error({ err }, 'elastic slots: sampling failed'));
    }, this.opts.intervalMs);
    this.timer.unref();
  }

  /** Stops sampling; resolves once a decision being carried out has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** One sample and, when elastic, one decision carried out; answers the decision. */
  async tick(nowMs = Date.now()): Promise<ScalingDecision> {
    if (this.running !== undefined || this.stopped) return { kind: 'none' };
    const sample = this.opts.engine.sampleLoad(nowMs);
    const decision = this.opts.policy?.observe(sample) ?? { kind: 'none' };
    if (decision.kind === 'none') return decision;
    this.running = this.carryOut(decision).catch((err: unknown) => {
      this.opts.logger.error({ err, decision: decision.kind, reason: decision.reason }, 'elastic slots: a scaling decision failed part-way');
    });
    await this.running;
    this.running = undefined;
    return decision;
  }

  private async carryOut(decision: Exclude<ScalingDecision, { kind: 'none' }>): Promise<void> {
    const { engine, logger } = this.opts;
    const started = performance.now();
    const slotsBefore = engine.slotCount;
    const reports: MoveReport[] = [];
    if (decision.kind === 'shrink') {
      if (decision.retiredSlot !== engine.slotCount - 1) throw new Error(`policy asked to retire slot ${decision.retiredSlot}, but only the last slot (${engine.slotCount - 1}) can be`);
      const targets = new Map<PartitionId, number>(decision.moves.map((m) => [m.partition, m.to]));
      reports.push(...(await engine.retireLastSlot((id) => targets.get(id), 'shrink')));
    } else {
      let newSlot: number | undefined;
      if (decision.kind === 'grow') newSlot = await engine.addSlot();
      for (const move of decision.moves) {
        // Moves to the policy's new slot go to the slot actually added.
        const to = decision.kind === 'grow' && move.to === decision.newSlot ? newSlot! : move.to;
        if (engine.slotOf(move.partition) !== move.from) continue; // moved or deleted since the sample
        try {
          reports.push(await engine.movePartition(move.partition, to, decision.kind));
        } catch (err) {
          logger.warn({ err, partition: move.partition, to }, 'elastic slots: a planned move was not made');
        }
      }
    }
    const pauses = reports.map((r) => r.pauseMs).sort((a, b) => a - b);
    logger.info(
      {
        decision: decision.kind,
        reason: decision.reason,
        slots: { before: slotsBefore, after: engine.slotCount },
        moved: reports.map((r) => ({ topic: r.topic, partition: r.partitionIndex, from: r.from, to: r.to, pauseMs: round(r.pauseMs) })),
        maxPauseMs: round(pauses.at(-1) ?? 0),
        ms: round(performance.now() - started),
      },
      `elastic slots: ${decision.kind}`,
    );
    this.opts.onDecision?.(decision, reports);
  }
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
