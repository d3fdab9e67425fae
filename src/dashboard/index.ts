/**
 * The dashboard web page (`agentnet dashboard`, and `up`): each agent's status, activity and
 * counts, live; the approvals waiting for the owner and the past ones; pause, resume, approve,
 * deny. Imports agent/ and the layers below it; never a role, ops/ or cli/.
 */
export { startDashboard } from './server.ts';
export type { Dashboard, DashboardOptions } from './server.ts';
export { collectDashboard, CHART_MINUTES, PAST_APPROVALS } from './state.ts';
export type { DashboardState, Thread } from './state.ts';
export { renderFragments, renderPage, esc, FRAGMENTS } from './render.ts';
