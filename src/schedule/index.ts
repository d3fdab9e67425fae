export { systemClock } from './clock.ts';
export type { Clock } from './clock.ts';
export { SCHEDULE_NAMESPACE, slotKey, startScheduler } from './scheduler.ts';
export type { ScheduleConfig, Scheduler, SchedulerOptions } from './scheduler.ts';
