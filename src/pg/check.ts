/** PostgreSQL checks itself for `agentnet doctor`: reachable with the configured URL, and its tables' versions. */
import { messageOf, type Check } from '../errors.ts';
import { redactPgUrl } from './errors.ts';

/** The server the bridge and the store share (checked once for both). */
export async function checkPostgres(url: string, schema: string): Promise<Check> {
  const { default: pg } = await import('pg');
  const shown = `${redactPgUrl(url)} (schema ${schema})`;
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (err) {
    return { check: 'postgres', status: 'fail', detail: `${shown}: ${messageOf(err)}`, fix: 'start PostgreSQL (systemctl start postgresql), or fix the URL in the config (user, password, host, database; sslmode)' };
  }
  try {
    const exists = await client.query('SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = $2', [schema, 'schema_migrations']);
    if (exists.rowCount === 0) return { check: 'postgres', status: 'ok', detail: `${shown}: reachable; no tables yet (the first agent start creates them)` };
    const { rows } = await client.query<{ component: string; v: number }>(`SELECT component, max(version) AS v FROM "${schema}".schema_migrations GROUP BY component ORDER BY component`);
    return { check: 'postgres', status: 'ok', detail: `${shown}: reachable; ${rows.map((r) => `${r.component} tables at version ${r.v}`).join(', ') || 'no tables yet'}` };
  } catch (err) {
    return { check: 'postgres', status: 'fail', detail: `${shown}: ${messageOf(err)}`, fix: `the agents' database user needs CREATE and USAGE on schema ${schema}` };
  } finally {
    await client.end().catch(() => {}); // the check's answer is in: a failed goodbye changes nothing
  }
}
