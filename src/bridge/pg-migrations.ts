/**
 * The PostgreSQL schema of the bridge (component `bridge` in schema_migrations), applied by migratePg.
 * - `record` is the message's JSON text exactly as written (text, not jsonb: jsonb would reorder
 *   keys, drop duplicate ones and refuse "\u0000"), so a message round-trips byte for byte;
 *   the columns beside it are copies of its fields for indexes and filters.
 * - `seq` is the order of records: the cursor subscribers keep. Rotation moves records to
 *   `bridge_archive` with their seq, so a reader that was behind still finds them.
 */
import type { PgMigration } from '../pg/index.ts';

export const BRIDGE_COMPONENT = 'bridge';

const RECORD_COLUMNS = `
        id text NOT NULL,
        status text NOT NULL,
        type text NOT NULL,
        sender text NOT NULL,
        addressee text,
        ts timestamptz NOT NULL,
        record text NOT NULL`;

export const BRIDGE_MIGRATIONS: PgMigration[] = [
  {
    version: 1,
    name: 'bridge records, archive and consumer cursors',
    sql: `
      CREATE TABLE bridge_records (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,${RECORD_COLUMNS}
      );
      -- A message's latest state is its record with the highest seq.
      CREATE INDEX bridge_records_latest ON bridge_records (id, seq DESC);

      CREATE TABLE bridge_archive (
        seq bigint PRIMARY KEY,${RECORD_COLUMNS},
        archived_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX bridge_archive_latest ON bridge_archive (id, seq DESC);

      CREATE TABLE bridge_consumers (
        name text PRIMARY KEY,
        seq bigint NOT NULL,
        saved_at timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
  {
    version: 2,
    name: 'which request each response answers',
    sql: `
      ALTER TABLE bridge_records ADD COLUMN reply_to text;
      ALTER TABLE bridge_archive ADD COLUMN reply_to text;
      UPDATE bridge_records SET reply_to = record::json->>'replyTo' WHERE type = 'response';
      UPDATE bridge_archive SET reply_to = record::json->>'replyTo' WHERE type = 'response';
      -- answer() looks a request's response up by it, under the append lock.
      CREATE INDEX bridge_records_reply_to ON bridge_records (reply_to, seq) WHERE reply_to IS NOT NULL;
      CREATE INDEX bridge_archive_reply_to ON bridge_archive (reply_to, seq) WHERE reply_to IS NOT NULL;
    `,
  },
];
