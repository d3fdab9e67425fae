/**
 * Operations: the supervisor of `agentnet up` and who owns it, systemd units, doctor, the
 * `agentnet status` table. Imports agent/ and the layers below it (bridge/, store/, channels/,
 * pg/, the base); never a role, dashboard/ or cli/.
 */
export { MAX_SKEW_MS, runDoctor } from './doctor.ts';
export type { Check, CheckStatus, DoctorOptions } from './doctor.ts';
export { claimUp, launcherChain, processAlive, readUpOwner, upPidFile, watchLauncher } from './owner.ts';
export type { UpOwner } from './owner.ts';
export { formatStatusTable } from './status.ts';
export { AGENT_NODE_FLAGS, Supervisor } from './supervisor.ts';
export type { SupervisorOptions } from './supervisor.ts';
export { agentEnvironment, envFileName, systemdUnits, unitName } from './systemd.ts';
export type { EnvVariable, GeneratedFile, SystemdOptions } from './systemd.ts';
