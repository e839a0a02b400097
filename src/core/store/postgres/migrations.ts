// Numbered schema migrations of the PostgreSQL archive, recorded in its schema_migrations table. Append only: never
// edit a migration that has shipped; add the next number. (The SQLite log keeps its own numbering, in ../migrations.ts.)
// Migrations run in one transaction under an advisory lock, so instances starting together upgrade once.
import type pg from 'pg'
import { GscError } from '../../util/errors'
import { rebuildRollupStatements } from '../timeline'

export interface PgMigration {
  version: number
  name: string
  sql: string
}

export const PG_MIGRATIONS: PgMigration[] = [
  {
    version: 1,
    name: 'packet archive: the SQLite log schema 3 (packets, receptions, gaps, imports, decodes, plans, events, settings, roll-ups)',
    // Column for column the SQLite log's schema 3, so `gsc log migrate` copies rows as they are. Differences: ids are
    // assigned by the writer (max + 1 under the archive's write lock, as SQLite's INTEGER PRIMARY KEY does), and caption
    // search uses a tsvector column computed by the database from caption (so any later change of a caption is indexed,
    // as SQLite's FTS5 triggers do), with FTS5 unicode61's rules: words are runs of letters and digits, case and accents
    // folded; a search is its words in order, the last one a prefix. No extension or text-search configuration needed.
    sql: `
      CREATE FUNCTION gsc_caption_words(t text) RETURNS text[] LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE RETURN
        ARRAY(SELECT m[1] FROM regexp_matches(
          lower(regexp_replace(normalize(t, NFKD), '[\\u0300-\\u036f\\u1ab0-\\u1aff\\u1dc0-\\u1dff\\u20d0-\\u20ff\\ufe20-\\ufe2f]', '', 'g')),
          '([[:alnum:]]+)', 'g') AS m);
      CREATE FUNCTION gsc_caption_vector(t text) RETURNS tsvector LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE RETURN
        (SELECT string_agg(quote_literal(w) || ':' || i, ' ')::tsvector FROM unnest(gsc_caption_words(t)) WITH ORDINALITY AS u(w, i) WHERE i < 16384);
      CREATE FUNCTION gsc_caption_query(t text) RETURNS tsquery LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE RETURN
        (SELECT string_agg(quote_literal(w) || CASE WHEN i = cardinality(gsc_caption_words(t)) THEN ':*' ELSE '' END, ' <-> ' ORDER BY i)::tsquery
          FROM unnest(gsc_caption_words(t)) WITH ORDINALITY AS u(w, i));
      CREATE TABLE imports (
        id               BIGINT PRIMARY KEY,
        kind             TEXT NOT NULL CHECK (kind IN ('import', 'replay')),
        source_path      TEXT NOT NULL,
        source_size      BIGINT NOT NULL,
        source_mtime_ms  BIGINT NOT NULL,
        head_hash        TEXT NOT NULL,
        committed_offset BIGINT NOT NULL DEFAULT 0,
        status           TEXT NOT NULL CHECK (status IN ('running', 'interrupted', 'complete', 'failed')),
        started_at       BIGINT NOT NULL,
        updated_at       BIGINT NOT NULL,
        packets          BIGINT NOT NULL DEFAULT 0,
        duplicates       BIGINT NOT NULL DEFAULT 0,
        bad              BIGINT NOT NULL DEFAULT 0
      );
      CREATE INDEX imports_identity ON imports(source_path, head_hash);

      CREATE TABLE packets (
        id              BIGINT PRIMARY KEY,
        received_at     BIGINT NOT NULL,
        apid            INTEGER,
        sequence_count  INTEGER,
        octets          INTEGER NOT NULL,
        raw             BYTEA NOT NULL,
        hash            BYTEA NOT NULL,
        status          TEXT NOT NULL CHECK (status IN ('ok', 'crc_failed', 'malformed', 'foreign', 'idle')),
        crc_ok          SMALLINT,
        error           TEXT,
        format_version  INTEGER,
        width           INTEGER,
        height          INTEGER,
        channels        INTEGER,
        model_id        INTEGER,
        caption         TEXT,
        header_json     TEXT,
        import_id       BIGINT REFERENCES imports(id),
        source_offset   BIGINT,
        framed          SMALLINT NOT NULL DEFAULT 1,
        caption_words   TSVECTOR GENERATED ALWAYS AS (gsc_caption_vector(caption)) STORED
      );
      -- raw is kept as received; PostgreSQL would otherwise try to compress packets (entropy-coded: no gain).
      ALTER TABLE packets ALTER COLUMN raw SET STORAGE EXTERNAL;
      CREATE UNIQUE INDEX packets_hash ON packets(hash);
      CREATE INDEX packets_apid ON packets(apid, id);
      CREATE INDEX packets_received ON packets(received_at);
      CREATE INDEX packets_status ON packets(status, id) WHERE status <> 'ok';
      CREATE INDEX packets_caption_todo ON packets(id) WHERE caption IS NULL AND status = 'ok';
      CREATE INDEX packets_caption_words ON packets USING GIN (caption_words);

      CREATE TABLE duplicates (
        id              BIGINT PRIMARY KEY,
        packet_id       BIGINT NOT NULL REFERENCES packets(id),
        after_packet_id BIGINT NOT NULL,
        received_at     BIGINT NOT NULL,
        import_id       BIGINT REFERENCES imports(id),
        source_offset   BIGINT
      );
      CREATE INDEX duplicates_after ON duplicates(after_packet_id, id);

      CREATE TABLE gaps (
        id               BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        apid             INTEGER NOT NULL,
        after_sequence   INTEGER NOT NULL,
        before_sequence  INTEGER NOT NULL,
        missing          INTEGER NOT NULL,
        after_packet_id  BIGINT,
        before_packet_id BIGINT,
        detected_at      BIGINT NOT NULL
      );
      CREATE INDEX gaps_apid ON gaps(apid, id);
      CREATE INDEX gaps_before ON gaps(before_packet_id);

      CREATE TABLE apid_state (
        apid            INTEGER PRIMARY KEY,
        last_sequence   INTEGER NOT NULL,
        last_packet_id  BIGINT NOT NULL,
        images          SMALLINT NOT NULL DEFAULT 0
      );

      CREATE TABLE decodes (
        id           BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        packet_id    BIGINT NOT NULL REFERENCES packets(id),
        params_key   TEXT NOT NULL,
        created_at   BIGINT NOT NULL,
        image_png    BYTEA,
        result_json  TEXT,
        UNIQUE (packet_id, params_key)
      );
      CREATE TABLE plans (
        id           BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        created_at   BIGINT NOT NULL,
        name         TEXT,
        input_json   TEXT NOT NULL,
        result_json  TEXT NOT NULL
      );
      CREATE TABLE events (
        id         BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        time       BIGINT NOT NULL,
        severity   TEXT NOT NULL CHECK (severity IN ('debug', 'info', 'warning', 'error')),
        source     TEXT NOT NULL,
        message    TEXT NOT NULL,
        packet_id  BIGINT,
        data_json  TEXT
      );
      CREATE INDEX events_time ON events(time);

      CREATE TABLE station_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);

      CREATE TABLE timeline_rollup (
        level       INTEGER NOT NULL,
        bin         BIGINT NOT NULL,
        apid        INTEGER NOT NULL,
        status      TEXT NOT NULL,
        packets     BIGINT NOT NULL,
        octets      BIGINT NOT NULL,
        max_octets  BIGINT NOT NULL,
        c_n         BIGINT NOT NULL,
        c_sum       BIGINT NOT NULL,
        c_min       INTEGER,
        c_max       INTEGER,
        first_id    BIGINT NOT NULL,
        last_id     BIGINT NOT NULL,
        PRIMARY KEY (level, apid, bin, status)
      );
      ${rebuildRollupStatements().join(';\n')};
    `
  }
]

export const PG_SCHEMA_VERSION = PG_MIGRATIONS[PG_MIGRATIONS.length - 1].version

/** Advisory lock keys (any two constants no other application on the database uses). */
export const MIGRATE_LOCK = 0x67736301
export const WRITE_LOCK = 0x67736302

/** Brings the database to PG_SCHEMA_VERSION (or checks it is there, with mustExist); returns the version found. */
export async function migratePostgres(client: pg.ClientBase, where: string, mustExist: boolean): Promise<number> {
  await client.query('BEGIN')
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATE_LOCK])
    const tables = (await client.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`)).rows.map((r) => r.table_name as string)
    let version = 0
    if (tables.includes('schema_migrations')) {
      version = (await client.query('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations')).rows[0].v as number
    } else if (tables.length > 0) {
      throw new GscError(`${where} holds other tables (${tables.slice(0, 3).join(', ')}${tables.length > 3 ? ', ...' : ''}) but is not a gsc packet archive (no schema_migrations table)`)
    }
    if (version === 0 && mustExist) throw new GscError(`no packet log at ${where} (the database has no gsc archive yet)`, 'ENOENT')
    if (version > PG_SCHEMA_VERSION)
      throw new GscError(`packet archive ${where} has schema version ${version}, newer than this gsc supports (${PG_SCHEMA_VERSION}); upgrade gsc`)
    if (version < PG_SCHEMA_VERSION) {
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`)
      for (const m of PG_MIGRATIONS) {
        if (m.version <= version) continue
        await client.query(m.sql)
        await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, Date.now()])
      }
    }
    await client.query('COMMIT')
    return PG_SCHEMA_VERSION
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined)
    throw e
  }
}
