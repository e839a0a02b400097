// Numbered schema migrations. Each runs once, in order, inside one transaction with its
// bookkeeping row, so a file is always at exactly one known version. Append only: never edit
// a migration that has shipped; add the next number instead.
import type Database from 'better-sqlite3'

export interface Migration {
  version: number
  name: string
  up(db: Database.Database): void
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'packet log: packets, receptions, gaps, imports',
    up(db) {
      db.exec(`
        -- One row per distinct byte string received (a packet, or an unframeable span kept so
        -- export can reproduce the capture). raw is stored exactly as received.
        CREATE TABLE packets (
          id              INTEGER PRIMARY KEY,
          received_at     INTEGER NOT NULL,          -- ms since epoch
          apid            INTEGER,                   -- NULL when no primary header could be read
          sequence_count  INTEGER,
          octets          INTEGER NOT NULL,
          raw             BLOB NOT NULL,
          hash            BLOB NOT NULL,             -- sha256(raw): duplicate detection
          status          TEXT NOT NULL CHECK (status IN ('ok', 'crc_failed', 'malformed')),
          crc_ok          INTEGER,                   -- 1/0, NULL when unknown
          error           TEXT,
          format_version  INTEGER,
          width           INTEGER,
          height          INTEGER,
          channels        INTEGER,                   -- C
          model_id        INTEGER,
          caption         TEXT,
          header_json     TEXT,                      -- optional cache; get() reads the header from raw
          import_id       INTEGER REFERENCES imports(id),
          source_offset   INTEGER                    -- byte offset in the capture it came from
        );
        CREATE UNIQUE INDEX packets_hash ON packets(hash);
        CREATE INDEX packets_apid ON packets(apid, id);
        CREATE INDEX packets_received ON packets(received_at);
        CREATE INDEX packets_status ON packets(status) WHERE status <> 'ok';

        -- A repeated reception of bytes already stored: counted, not stored twice.
        -- after_packet_id = the newest packet id when it arrived, so receive order can be replayed.
        CREATE TABLE duplicates (
          id              INTEGER PRIMARY KEY,
          packet_id       INTEGER NOT NULL REFERENCES packets(id),
          after_packet_id INTEGER NOT NULL,
          received_at     INTEGER NOT NULL,
          import_id       INTEGER REFERENCES imports(id),
          source_offset   INTEGER
        );
        CREATE INDEX duplicates_after ON duplicates(after_packet_id, id);

        -- Sequence counts never received intact, per APID (14-bit counter, modulo 16384).
        CREATE TABLE gaps (
          id               INTEGER PRIMARY KEY,
          apid             INTEGER NOT NULL,
          after_sequence   INTEGER NOT NULL,
          before_sequence  INTEGER NOT NULL,
          missing          INTEGER NOT NULL,
          after_packet_id  INTEGER,
          before_packet_id INTEGER,
          detected_at      INTEGER NOT NULL
        );
        CREATE INDEX gaps_apid ON gaps(apid, id);

        -- Last sequence count seen per APID, for incremental gap detection across batches/imports.
        CREATE TABLE apid_state (
          apid            INTEGER PRIMARY KEY,
          last_sequence   INTEGER NOT NULL,
          last_packet_id  INTEGER NOT NULL
        );

        -- One row per capture file import; committed_offset advances in the same transaction
        -- as the packets it covers, so an interrupted import resumes exactly there.
        CREATE TABLE imports (
          id               INTEGER PRIMARY KEY,
          kind             TEXT NOT NULL CHECK (kind IN ('import', 'replay')),
          source_path      TEXT NOT NULL,
          source_size      INTEGER NOT NULL,
          source_mtime_ms  INTEGER NOT NULL,
          head_hash        TEXT NOT NULL,            -- sha256 of the first 64 KiB: file identity
          committed_offset INTEGER NOT NULL DEFAULT 0,
          status           TEXT NOT NULL CHECK (status IN ('running', 'interrupted', 'complete', 'failed')),
          started_at       INTEGER NOT NULL,
          updated_at       INTEGER NOT NULL,
          packets          INTEGER NOT NULL DEFAULT 0,
          duplicates       INTEGER NOT NULL DEFAULT 0,
          bad              INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX imports_identity ON imports(source_path, head_hash);
      `)
    }
  },
  {
    version: 2,
    name: 'derived data: decodes cache, plans, events',
    up(db) {
      db.exec(`
        -- Reconstructions and analyses, rebuildable from packets: keyed by packet + decode params.
        CREATE TABLE decodes (
          id           INTEGER PRIMARY KEY,
          packet_id    INTEGER NOT NULL REFERENCES packets(id),
          params_key   TEXT NOT NULL,               -- canonical JSON of the decode parameters
          created_at   INTEGER NOT NULL,
          image_png    BLOB,
          result_json  TEXT,
          UNIQUE (packet_id, params_key)
        );
        CREATE TABLE plans (
          id           INTEGER PRIMARY KEY,
          created_at   INTEGER NOT NULL,
          name         TEXT,
          input_json   TEXT NOT NULL,
          result_json  TEXT NOT NULL
        );
        -- Persistent event log for the operator UI.
        CREATE TABLE events (
          id         INTEGER PRIMARY KEY,
          time       INTEGER NOT NULL,
          severity   TEXT NOT NULL CHECK (severity IN ('debug', 'info', 'warning', 'error')),
          source     TEXT NOT NULL,
          message    TEXT NOT NULL,
          packet_id  INTEGER,
          data_json  TEXT
        );
        CREATE INDEX events_time ON events(time);
      `)
    }
  }
]

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version
