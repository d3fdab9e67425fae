/**
 * A throwaway PostgreSQL cluster for tests that stop and start the server (a restart under
 * running agents): its own data directory and port, so the shared server other suites use is
 * never touched. initdb refuses to run as root, so as root it runs as the `postgres` user.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from './util.ts';

export interface PgCluster {
  readonly url: string;
  /** Fast shutdown: connections are cut, in-flight transactions rolled back. */
  stop(): void;
  start(): void;
  destroy(): void;
}

function binDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
  return versions[0] && join(root, versions[0], 'bin');
}

/** Undefined when a throwaway cluster can be made here; else why not. */
export function pgClusterSkipReason(): string | undefined {
  let reason: string | undefined;
  if (!binDir()) reason = 'no PostgreSQL server binaries under /usr/lib/postgresql (apt-get install postgresql)';
  else if (userInfo().username !== 'root' && userInfo().username !== 'postgres') reason = 'making a throwaway PostgreSQL cluster needs root (to run initdb as postgres) or the postgres user';
  if (reason && process.env.AGENTNET_TEST_PG_REQUIRED) throw new Error(`${reason}; AGENTNET_TEST_PG_REQUIRED is set`);
  return reason;
}

export async function startPgCluster(): Promise<PgCluster> {
  const bin = binDir()!;
  const asPostgres = userInfo().username === 'root';
  const dir = mkdtempSync(join(tmpdir(), 'agentnet-pg-'));
  const data = join(dir, 'data');
  if (asPostgres) {
    const { uid, gid } = statSync('/var/lib/postgresql');
    chownSync(dir, uid, gid);
  }
  const run = (tool: string, args: string[]) => {
    const argv = asPostgres ? ['runuser', '-u', 'postgres', '--', join(bin, tool), ...args] : [join(bin, tool), ...args];
    execFileSync(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
  };
  run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  const port = await freePort();
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
  const cluster: PgCluster = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start: () => run('pg_ctl', ['start', '-D', data, '-w', '-t', '30', '-l', join(dir, 'server.log'), '-o', options]),
    stop: () => run('pg_ctl', ['stop', '-D', data, '-m', 'fast', '-w', '-t', '30']),
    destroy() {
      try {
        cluster.stop();
      } catch {
        /* not running */
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  cluster.start();
  return cluster;
}
