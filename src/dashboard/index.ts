/**
 * The dashboard web page (`agentnet dashboard`, and `up`): each agent's status, activity and
 * counts, live; pause and resume. Imports agent/ and the layers below it; never a role, ops/
 * or cli/.
 */
export { startDashboard } from './server.ts';
export type { Dashboard, DashboardOptions } from './server.ts';
export { collectDashboard, CHART_MINUTES } from './state.ts';
export type { DashboardState, Thread } from './state.ts';
export { renderFragments, renderPage, esc, FRAGMENTS } from './render.ts';
