/** `agentnet status`: the network's state as a table. */
import { ago, channelSummary, type NetworkStatus } from '../agent/network-status.ts';

const uptime = (s: number) => (s < 90 ? `${Math.round(s)}s` : s < 5400 ? `${Math.round(s / 60)}m` : `${(s / 3600).toFixed(1)}h`);

export function formatStatusTable(s: NetworkStatus): string {
  const head = `network ${s.network}: ${s.pause.paused ? `PAUSED${s.pause.reason ? ` (${s.pause.reason})` : ''} since ${s.pause.since ?? '?'}` : 'running'}, ${s.pending} pending bridge messages${s.inbox ? `, ${s.inbox} unread answers (agentnet inbox)` : ''}\n\n`;
  const rows = [['AGENT', 'ROLE', 'STATE', 'UPTIME', 'LAST ACTIVITY', 'PROCESSED', 'PENDING', 'WATCH', 'HEALTH']];
  for (const a of s.agents) {
    rows.push([
      a.agent,
      a.role,
      a.state + (a.error ? ` (${a.error})` : '') + (a.health?.problems?.length ? ` (${a.health.problems.join('; ')})` : ''),
      a.health ? uptime(a.health.uptime) : '-',
      ago(a.health?.lastActivity),
      a.health ? String(a.health.messagesProcessed) : '-',
      String(a.pending),
      a.watched ? `${a.watched.state} since ${ago(a.watched.since)} (${a.watched.by}, ${ago(a.watched.checkedAt)})` : '-',
      a.url,
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const channels = s.agents.flatMap((a) => (a.health?.channel ? [`  ${a.agent}: ${channelSummary(a.health.channel, ago)}`] : []));
  const table = rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
  return head + table + (channels.length ? `\nchannels:\n${channels.join('\n')}\n` : '');
}
