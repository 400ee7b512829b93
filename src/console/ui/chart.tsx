// Thread: browser. A small SVG line chart (no chart library): series of [t, value] points on
// a shared time axis, y from 0 to the largest value.
import { formatRate } from './api.ts';

export interface Series {
  label: string;
  color: string;
  points: Array<[number, number]>;
}

const W = 560;
const H = 180;
const PAD = { left: 48, right: 10, top: 10, bottom: 22 };

export function Chart({ title, series, testId }: { title: string; series: Series[]; testId?: string }) {
  const all = series.flatMap((s) => s.points);
  const t0 = Math.min(...all.map((p) => p[0]));
  const t1 = Math.max(...all.map((p) => p[0]));
  const max = Math.max(1, ...all.map((p) => p[1]));
  const x = (t: number) => PAD.left + (t1 > t0 ? ((t - t0) / (t1 - t0)) * (W - PAD.left - PAD.right) : 0);
  const y = (v: number) => H - PAD.bottom - (v / max) * (H - PAD.top - PAD.bottom);
  return (
    <div data-testid={testId} class="chart-box">
      <h2>{title}</h2>
      <svg class="chart" viewBox={`0 0 ${W} ${H}`} width="100%" role="img" aria-label={title}>
        <line x1={PAD.left} y1={H - PAD.bottom} x2={W - PAD.right} y2={H - PAD.bottom} stroke="#c3c8d2" />
        <line x1={PAD.left} y1={PAD.top} x2={PAD.left} y2={H - PAD.bottom} stroke="#c3c8d2" />
        <text x={PAD.left - 4} y={PAD.top + 8} font-size="10" text-anchor="end" fill="#6b7385">
          {formatRate(max)}
        </text>
        <text x={PAD.left - 4} y={H - PAD.bottom} font-size="10" text-anchor="end" fill="#6b7385">
          0
        </text>
        {all.length > 0 && (
          <text x={W - PAD.right} y={H - 6} font-size="10" text-anchor="end" fill="#6b7385">
            {new Date(t1).toLocaleTimeString()}
          </text>
        )}
        {series.map((s) =>
          s.points.length > 1 ? (
            <polyline fill="none" stroke={s.color} stroke-width="1.5" points={s.points.map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(' ')} />
          ) : s.points.length === 1 ? (
            <circle cx={x(s.points[0]![0])} cy={y(s.points[0]![1])} r="3" fill={s.color} />
          ) : null,
        )}
      </svg>
      <div class="legend">
        {series.map((s) => (
          <span style={`color:${s.color}`}>
            ● {s.label}: {s.points.length > 0 ? formatRate(s.points[s.points.length - 1]![1]) : '–'}
          </span>
        ))}
      </div>
    </div>
  );
}
