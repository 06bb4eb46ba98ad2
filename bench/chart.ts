/**
 * The results as one SVG, drawn by hand (no dependency): left, throughput of Ferry
 * beside native replication and the COPY / no-replication baselines; right, each goal
 * as the share of it that Ferry reaches (100 % = goal met).
 */
export interface ThroughputGroup {
  label: string;
  unit: string;
  bars: { name: string; value: number }[];
}

export interface GoalBar {
  label: string;
  /** Ferry's value divided by the goal, oriented so that ≥ 1 means met. */
  share: number;
  detail: string;
}

const COLORS: Record<string, string> = { Ferry: '#d9480f', native: '#1c7ed6', COPY: '#868e96', none: '#868e96' };
const WIDTH = 980;
const ROW = 26;

export function renderChart(title: string, subtitle: string, groups: readonly ThroughputGroup[], goals: readonly GoalBar[]): string {
  const parts: string[] = [];
  const leftX = 20;
  const barX = 200;
  const barMax = 230;
  let y = 84;
  parts.push(text(leftX, y - 14, 'Throughput (longer is better)', 14, 'bold'));
  for (const group of groups) {
    const max = Math.max(...group.bars.map((b) => b.value), 1);
    parts.push(text(leftX, y + 4, `${group.label} (${group.unit})`, 12, 'bold'));
    y += 10;
    for (const bar of group.bars) {
      const width = Number.isFinite(bar.value) ? Math.max(1, (bar.value / max) * barMax) : 0;
      parts.push(text(leftX + 10, y + 14, bar.name, 12));
      parts.push(`<rect x="${barX}" y="${y + 3}" width="${width.toFixed(1)}" height="${ROW - 10}" fill="${COLORS[bar.name] ?? '#adb5bd'}"/>`);
      parts.push(text(barX + width + 6, y + 14, formatNumber(bar.value), 11));
      y += ROW - 6;
    }
    y += 16;
  }
  const leftBottom = y;

  const goalX = 530;
  const goalBarX = goalX + 190;
  const goalMax = 180; // width of 150 %
  y = 84;
  parts.push(text(goalX, y - 14, 'Ferry against each goal (100 % = met)', 14, 'bold'));
  const hundred = goalBarX + (goalMax * 100) / 150;
  for (const goal of goals) {
    const share = Number.isFinite(goal.share) ? Math.min(goal.share, 1.5) : 0;
    const width = Math.max(1, (share / 1.5) * goalMax);
    const color = goal.share >= 1 ? '#2b8a3e' : '#c92a2a';
    parts.push(text(goalX, y + 14, goal.label, 12));
    parts.push(`<rect x="${goalBarX}" y="${y + 3}" width="${width.toFixed(1)}" height="${ROW - 8}" fill="${color}"/>`);
    parts.push(text(goalBarX + width + 6, y + 15, `${Math.round(goal.share * 100)} %`, 11));
    parts.push(text(goalX, y + 29, goal.detail, 10, 'normal', '#495057'));
    y += ROW + 16;
  }
  parts.push(`<line x1="${hundred}" y1="76" x2="${hundred}" y2="${y}" stroke="#212529" stroke-dasharray="4 3"/>`);
  parts.push(text(hundred - 14, y + 14, '100 %', 10));
  const height = Math.max(leftBottom, y + 30) + 10;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="DejaVu Sans, Arial, sans-serif">
<rect width="100%" height="100%" fill="#ffffff"/>
${text(20, 24, title, 16, 'bold')}
${text(20, 44, subtitle, 11, 'normal', '#495057')}
${parts.join('\n')}
</svg>
`;
}

function text(x: number, y: number, content: string, size: number, weight = 'normal', fill = '#212529'): string {
  return `<text x="${x}" y="${y}" font-size="${size}" font-weight="${weight}" fill="${fill}">${escapeXml(content)}</text>`;
}

function escapeXml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (value >= 100) return Math.round(value).toLocaleString('en-US');
  return value.toFixed(value >= 10 ? 1 : 2);
}
