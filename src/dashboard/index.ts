export { startDashboard } from './server.ts';
export type { Dashboard, DashboardOptions } from './server.ts';
export { collectDashboard, CHART_MINUTES } from './state.ts';
export type { DashboardState, Thread } from './state.ts';
export { renderFragments, renderPage, esc, FRAGMENTS } from './render.ts';
