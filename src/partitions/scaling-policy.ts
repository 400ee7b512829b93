// Thread: main. The elastic-slot scaling policy: from periodic load samples (per-slot thread
// utilisation, per-partition bytes/s) it decides whether to add a worker slot, retire one, or
// move partitions between the slots there are — and which partitions move where. Pure and
// deterministic: time comes in the samples, nothing here starts a timer or touches a slot; the
// partition engine samples, calls observe() and carries the decision out.
//
// The rules, in the order they are applied to each sample:
//  1. Guards, no window: fewer slots than minSlots → 'grow' (newSlot = slot count, no moves);
//     more than maxSlots → retire the highest slot at once (as in rule 5).
//  2. Window. Samples are kept from the latest one taken at least windowMs before the newest;
//     nothing else is decided until that first sample is windowMs old ("the window is
//     covered"). Tracking restarts (the kept samples are dropped) when the slot count changes,
//     when two samples are more than maxSampleGapMs apart or time goes backwards, and after
//     every decision that is not 'none' — so the next decision needs a whole new window of
//     samples taken after it (the cool-down).
//  3. Hot and cool. A slot is hot when its utilisation is >= scaleUpUtilization in every kept
//     sample, cool when it is <= scaleDownUtilization in every kept sample.
//  4. A hot slot. If some slot is cool → 'rebalance': move partitions from the hot slot(s) to
//     the cool one(s). If no such move helps (or none is cool) and there are fewer than
//     maxSlots slots → 'grow': newSlot = slot count, move partitions from the hot slot(s) to
//     it. Moves follow measured load, not partition count — a partition's load is its mean
//     bytes/s (in + out) over the kept samples, a slot's load the sum of its partitions':
//     hot slots hottest first, each one's partitions hottest first, a partition moves to the
//     least loaded target when that brings the two slots' loads closer to equal (its load is
//     above 0 and below the difference). A slot's last partition never moves (a slot with one
//     partition cannot be helped by moving it), nor does one with no load. No helpful move →
//     no decision (rule 5 may still apply).
//  5. Idle. More than minSlots slots and, in every kept sample, the slots' utilisations summed
//     are <= scaleDownUtilization × (slot count − 1) → 'shrink' retiring the HIGHEST slot: its
//     partitions go to the remaining slots, largest load first, each to the one with the least
//     load so far (ties: fewer partitions, then the lower index).
//  6. At most MAX_MOVES_PER_DECISION moves per decision, so one decision never pauses too
//     many partitions at once. A slot to retire that holds more partitions than that is
//     drained first: 'rebalance' moving the first MAX_MOVES_PER_DECISION of them (chosen as in
//     rule 5); the next idle window moves more, and the one that empties it retires it.
// Each decision carries a reason: one sentence with the numbers, for the log.
import type { PartitionId } from '../ipc/partition-id.js';

/** The most partitions one decision moves. */
export const MAX_MOVES_PER_DECISION = 16;

export interface ScalingSettings {
  /** worker.threads.min (>= 1). */
  minSlots: number;
  /** worker.threads.max (>= minSlots). */
  maxSlots: number;
  /** e.g. 0.75: a slot at least this busy for a whole window is hot. */
  scaleUpUtilization: number;
  /** e.g. 0.25: below scaleUpUtilization; a slot at most this busy for a whole window is cool. */
  scaleDownUtilization: number;
  /** e.g. 10000: a condition must hold for this long. */
  windowMs: number;
  /** Two consecutive samples further apart than this restart tracking (a gap in sampling).
   *  Default windowMs / 2; the engine passes 2 × worker.scale.interval.ms. */
  maxSampleGapMs?: number;
}

export interface LoadSample {
  nowMs: number;
  /** Per slot (index = slot), thread busy fraction 0..1 since the previous sample. */
  slotUtilization: number[];
  /** Per placed partition: its slot and its measured load (bytes/s in + out since the previous sample). */
  partitions: Array<{ id: PartitionId; slot: number; bytesPerSec: number }>;
}

export interface PartitionMove {
  partition: PartitionId;
  from: number;
  to: number;
}

export type ScalingDecision =
  | { kind: 'none' }
  | { kind: 'grow'; newSlot: number; moves: PartitionMove[]; reason: string }
  | { kind: 'shrink'; retiredSlot: number; moves: PartitionMove[]; reason: string }
  | { kind: 'rebalance'; moves: PartitionMove[]; reason: string };

/** One slot as the move planner sees it: its partitions with their loads, and their sum. */
interface SlotModel {
  slot: number;
  load: number;
  partitions: Array<{ id: PartitionId; load: number }>;
}

const NONE: ScalingDecision = { kind: 'none' };

export class ScalingPolicy {
  /** Samples since tracking (re)started, trimmed to the window (see rule 2). */
  private samples: LoadSample[] = [];
  private readonly maxSampleGapMs: number;

  /** Throws RangeError on settings that make no sense (see ScalingSettings). */
  constructor(private readonly settings: ScalingSettings) {
    const { minSlots, maxSlots, scaleUpUtilization: up, scaleDownUtilization: down, windowMs } = settings;
    if (!Number.isInteger(minSlots) || minSlots < 1) throw new RangeError(`minSlots must be an integer >= 1 (got ${minSlots})`);
    if (!Number.isInteger(maxSlots) || maxSlots < minSlots) throw new RangeError(`maxSlots must be an integer >= minSlots ${minSlots} (got ${maxSlots})`);
    if (!(down >= 0 && down < up && up <= 1)) throw new RangeError(`need 0 <= scaleDownUtilization < scaleUpUtilization <= 1 (got ${down} and ${up})`);
    if (!(windowMs >= 0)) throw new RangeError(`windowMs must be >= 0 (got ${windowMs})`);
    this.maxSampleGapMs = settings.maxSampleGapMs ?? windowMs / 2;
    if (!(this.maxSampleGapMs > 0)) throw new RangeError(`maxSampleGapMs must be > 0 (got ${this.maxSampleGapMs})`);
  }

  /** Feed one sample; returns what to do now. After any non-'none' decision the window restarts
   *  (the next decision needs a full new window of samples taken after it). The policy keeps
   *  the sample until it leaves the window: do not change it after passing it in. */
  observe(sample: LoadSample): ScalingDecision {
    const previous = this.samples.at(-1);
    if (
      previous !== undefined &&
      (previous.slotUtilization.length !== sample.slotUtilization.length ||
        sample.nowMs < previous.nowMs ||
        sample.nowMs - previous.nowMs > this.maxSampleGapMs)
    ) {
      this.samples = [];
    }
    this.samples.push(sample);
    const windowStart = sample.nowMs - this.settings.windowMs;
    let drop = 0;
    while (drop + 1 < this.samples.length && this.samples[drop + 1]!.nowMs <= windowStart) drop++;
    if (drop > 0) this.samples.splice(0, drop);

    const decision = this.decide(sample);
    if (decision.kind !== 'none') this.samples = [];
    return decision;
  }

  private decide(latest: LoadSample): ScalingDecision {
    const { minSlots, maxSlots, windowMs, scaleUpUtilization: up, scaleDownUtilization: down } = this.settings;
    const slotCount = latest.slotUtilization.length;
    if (slotCount < minSlots) {
      return { kind: 'grow', newSlot: slotCount, moves: [], reason: `${slotCount} slot${slotCount === 1 ? '' : 's'}, below worker.threads.min ${minSlots}: adding slot ${slotCount}` };
    }
    if (slotCount > maxSlots) return this.retireHighest(latest, `${slotCount} slots, above worker.threads.max ${maxSlots}`);

    const spanMs = latest.nowMs - this.samples[0]!.nowMs;
    if (spanMs < windowMs) return NONE;
    const forWindow = `for ${seconds(spanMs)}`;

    const meanUtilization = new Array<number>(slotCount).fill(0);
    const hot = new Array<boolean>(slotCount).fill(true);
    const cool = new Array<boolean>(slotCount).fill(true);
    let idle = true;
    let highestTotal = 0;
    for (const s of this.samples) {
      let total = 0;
      for (let slot = 0; slot < slotCount; slot++) {
        const u = s.slotUtilization[slot]!;
        meanUtilization[slot]! += u / this.samples.length;
        if (!(u >= up)) hot[slot] = false;
        if (!(u <= down)) cool[slot] = false;
        total += u;
      }
      if (!(total <= down * (slotCount - 1))) idle = false;
      highestTotal = Math.max(highestTotal, total);
    }
    const hotSlots = slotIndexes(slotCount)
      .filter((slot) => hot[slot])
      .sort((a, b) => meanUtilization[b]! - meanUtilization[a]! || a - b);
    const coolSlots = slotIndexes(slotCount).filter((slot) => cool[slot]);

    if (hotSlots.length > 0) {
      const hotText = `${hotSlots.map((slot) => `slot ${slot} at ${meanUtilization[slot]!.toFixed(2)}`).join(', ')} utilisation ${forWindow}`;
      if (coolSlots.length > 0) {
        const model = this.slotModels(latest, slotCount);
        const moves = spread(hotSlots, coolSlots, model);
        if (moves.length > 0) {
          const coolText = coolSlots.map((slot) => `slot ${slot} at ${meanUtilization[slot]!.toFixed(2)}`).join(', ');
          return { kind: 'rebalance', moves, reason: `${hotText}; cool: ${coolText}; ${movingText(moves, model)}` };
        }
      }
      if (slotCount < maxSlots) {
        const newSlot = slotCount;
        const model = this.slotModels(latest, slotCount + 1);
        const moves = spread(hotSlots, [newSlot], model);
        if (moves.length > 0) {
          return { kind: 'grow', newSlot, moves, reason: `${hotText}; ${slotCount} of ${maxSlots} slots; ${movingText(moves, model, 'new ')}` };
        }
      }
    }
    if (idle && slotCount > minSlots) {
      const bound = `${down} × ${slotCount - 1}`;
      return this.retireHighest(latest, `${slotCount} slots at most ${highestTotal.toFixed(2)} total utilisation ${forWindow} (bound ${bound})`);
    }
    return NONE;
  }

  /** Rule 5/6: 'shrink' the highest slot, or 'rebalance' part of it away when it holds too many. */
  private retireHighest(latest: LoadSample, why: string): ScalingDecision {
    const slotCount = latest.slotUtilization.length;
    const retiredSlot = slotCount - 1;
    const model = this.slotModels(latest, slotCount);
    const leaving = model[retiredSlot]!.partitions; // largest load first
    const remaining = slotIndexes(retiredSlot);
    const moves: PartitionMove[] = [];
    for (const p of leaving.slice(0, MAX_MOVES_PER_DECISION)) {
      const to = leastLoaded(remaining, model);
      moveInModel(model, p.id, p.load, retiredSlot, to);
      moves.push({ partition: p.id, from: retiredSlot, to });
    }
    const total = leaving.length;
    if (moves.length < total) {
      return {
        kind: 'rebalance',
        moves,
        reason: `${why}; draining slot ${retiredSlot} before retiring it: ${movingText(moves, model)} (${moves.length} of its ${total})`,
      };
    }
    const what = moves.length === 0 ? 'it holds no partitions' : movingText(moves, model);
    return { kind: 'shrink', retiredSlot, moves, reason: `${why}; retiring slot ${retiredSlot}; ${what}` };
  }

  /** Slots 0..slotCount-1 with the latest placement and each partition's mean load over the window. */
  private slotModels(latest: LoadSample, slotCount: number): SlotModel[] {
    const sums = new Map<PartitionId, { sum: number; count: number }>();
    for (const s of this.samples) {
      for (const p of s.partitions) {
        const entry = sums.get(p.id);
        const bytes = Number.isFinite(p.bytesPerSec) && p.bytesPerSec > 0 ? p.bytesPerSec : 0;
        if (entry) {
          entry.sum += bytes;
          entry.count++;
        } else sums.set(p.id, { sum: bytes, count: 1 });
      }
    }
    const model: SlotModel[] = slotIndexes(slotCount).map((slot) => ({ slot, load: 0, partitions: [] }));
    for (const p of latest.partitions) {
      const target = model[p.slot];
      if (target === undefined || !Number.isInteger(p.slot)) continue;
      const { sum, count } = sums.get(p.id)!;
      const load = sum / count;
      target.partitions.push({ id: p.id, load });
      target.load += load;
    }
    for (const m of model) m.partitions.sort(hottestFirst);
    return model;
  }
}

/** Rule 4: moves from the hot slots (in the given order) to the least loaded of the targets. */
function spread(sources: number[], targets: number[], model: SlotModel[]): PartitionMove[] {
  const moves: PartitionMove[] = [];
  for (const from of sources) {
    const source = model[from]!;
    for (const p of [...source.partitions]) {
      if (moves.length >= MAX_MOVES_PER_DECISION || source.partitions.length <= 1 || p.load <= 0) break;
      const to = leastLoaded(targets, model);
      if (p.load < source.load - model[to]!.load) {
        moveInModel(model, p.id, p.load, from, to);
        moves.push({ partition: p.id, from, to });
      }
    }
  }
  return moves;
}

/** The candidate with the least load; ties: fewer partitions, then the lower index. */
function leastLoaded(candidates: number[], model: SlotModel[]): number {
  let best = candidates[0]!;
  for (const slot of candidates) {
    const a = model[slot]!;
    const b = model[best]!;
    if (a.load < b.load || (a.load === b.load && (a.partitions.length < b.partitions.length || (a.partitions.length === b.partitions.length && slot < best)))) {
      best = slot;
    }
  }
  return best;
}

function moveInModel(model: SlotModel[], id: PartitionId, load: number, from: number, to: number): void {
  const source = model[from]!;
  source.partitions = source.partitions.filter((p) => p.id !== id);
  source.load -= load;
  model[to]!.partitions.push({ id, load });
  model[to]!.load += load;
}

function hottestFirst(a: { id: PartitionId; load: number }, b: { id: PartitionId; load: number }): number {
  return b.load - a.load || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

function slotIndexes(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i);
}

/** "moving 3 partitions (41.2 MB/s) to new slot 2" / "… to slots 0, 1". */
function movingText(moves: PartitionMove[], model: SlotModel[], targetAdjective = ''): string {
  const loadOf = new Map<PartitionId, number>();
  for (const m of model) for (const p of m.partitions) loadOf.set(p.id, p.load);
  const bytes = moves.reduce((sum, m) => sum + (loadOf.get(m.partition) ?? 0), 0);
  const targets = [...new Set(moves.map((m) => m.to))].sort((a, b) => a - b);
  const where = `${targetAdjective}slot${targets.length === 1 ? '' : 's'} ${targets.join(', ')}`;
  return `moving ${moves.length} partition${moves.length === 1 ? '' : 's'} (${rate(bytes)}) to ${where}`;
}

function rate(bytesPerSec: number): string {
  if (bytesPerSec >= 1e6) return `${(bytesPerSec / 1e6).toFixed(1)} MB/s`;
  if (bytesPerSec >= 1e3) return `${(bytesPerSec / 1e3).toFixed(1)} kB/s`;
  return `${Math.round(bytesPerSec)} B/s`;
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}
