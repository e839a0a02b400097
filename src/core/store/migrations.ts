// Numbered schema migrations. Each runs once, in order, inside one transaction with its
// bookkeeping row, so a file is always at exactly one known version. Append only: never edit
// a migration that has shipped; add the next number instead.
import type Database from 'better-sqlite3'
import { rebuildRollups } from './timeline'

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
  },
  {
    version: 3,
    name: 'foreign traffic, timeline roll-ups, caption search index',
    up(db) {
      // The packets table is rebuilt (SQLite cannot widen a CHECK in place): status gains 'foreign'
      // (a well-framed CCSDS packet of an APID that carries no GSC images) and 'idle' (APID 2047), and
      // framed records whether the capture reader framed the bytes as one CCSDS packet (1) or kept
      // them as a span that frames as nothing (0). openDatabase turns foreign keys off around this.
      db.exec(`
        CREATE TABLE packets_v3 (
          id              INTEGER PRIMARY KEY,
          received_at     INTEGER NOT NULL,
          apid            INTEGER,
          sequence_count  INTEGER,
          octets          INTEGER NOT NULL,
          raw             BLOB NOT NULL,
          hash            BLOB NOT NULL,
          status          TEXT NOT NULL CHECK (status IN ('ok', 'crc_failed', 'malformed', 'foreign', 'idle')),
          crc_ok          INTEGER,
          error           TEXT,
          format_version  INTEGER,
          width           INTEGER,
          height          INTEGER,
          channels        INTEGER,
          model_id        INTEGER,
          caption         TEXT,
          header_json     TEXT,
          import_id       INTEGER REFERENCES imports(id),
          source_offset   INTEGER,
          framed          INTEGER NOT NULL DEFAULT 1   -- 0: unframed span (bytes that frame as nothing)
        );
        INSERT INTO packets_v3 (id, received_at, apid, sequence_count, octets, raw, hash, status, crc_ok, error, format_version,
          width, height, channels, model_id, caption, header_json, import_id, source_offset, framed)
        SELECT id, received_at, apid, sequence_count, octets, raw, hash, status, crc_ok, error, format_version,
          width, height, channels, model_id, caption, header_json, import_id, source_offset,
          -- schema 2 stored a framed packet as ok or with a CRC verdict; anything else was an unframed span or a cut tail
          CASE WHEN status = 'ok' OR crc_ok IS NOT NULL THEN 1 ELSE 0 END
        FROM packets;
        DROP TABLE packets;
        ALTER TABLE packets_v3 RENAME TO packets;
        CREATE UNIQUE INDEX packets_hash ON packets(hash);
        CREATE INDEX packets_apid ON packets(apid, id);
        CREATE INDEX packets_received ON packets(received_at);
        CREATE INDEX packets_status ON packets(status, id) WHERE status <> 'ok';
        -- Packets whose caption is still to be read from raw (captions are filled lazily).
        CREATE INDEX packets_caption_todo ON packets(id) WHERE caption IS NULL AND status = 'ok';

        -- Gap accounting covers every framed APID now (foreign ones too); images records whether the
        -- APID has carried a valid GSC packet (what the automatic image-APID setting goes by).
        ALTER TABLE apid_state ADD COLUMN images INTEGER NOT NULL DEFAULT 0;
        UPDATE apid_state SET images = 1;
        CREATE INDEX gaps_before ON gaps(before_packet_id);

        -- Station settings that decide how packets are classified (image APIDs).
        CREATE TABLE station_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);

        -- Timeline roll-ups: per bin of receive time (levels 0..6: 1 s x 16^level) and of arrival order
        -- (levels 10..13: 256 x 16^(level-10) packet ids), per APID (-1: none; -2: all APIDs together) and
        -- status. Kept in the same transaction as the packets they count (src/core/store/timeline.ts),
        -- rebuilt whenever statuses are re-derived.
        CREATE TABLE timeline_rollup (
          level       INTEGER NOT NULL,
          bin         INTEGER NOT NULL,
          apid        INTEGER NOT NULL,
          status      TEXT NOT NULL,
          packets     INTEGER NOT NULL,
          octets      INTEGER NOT NULL,
          max_octets  INTEGER NOT NULL,
          c_n         INTEGER NOT NULL,
          c_sum       INTEGER NOT NULL,
          c_min       INTEGER,
          c_max       INTEGER,
          first_id    INTEGER NOT NULL,
          last_id     INTEGER NOT NULL,
          PRIMARY KEY (level, apid, bin, status)
        ) WITHOUT ROWID;

        -- Caption search: FTS5 word index over packets.caption (case and accents folded; prefixes of 1, 2 and 3
        -- characters indexed so a word being typed is found fast). See packetQuery.ts for the query.
        CREATE VIRTUAL TABLE packets_fts USING fts5(caption, content = 'packets', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2', prefix = '1 2 3');
        INSERT INTO packets_fts (rowid, caption) SELECT id, caption FROM packets WHERE caption IS NOT NULL;
        CREATE TRIGGER packets_fts_insert AFTER INSERT ON packets WHEN new.caption IS NOT NULL BEGIN
          INSERT INTO packets_fts (rowid, caption) VALUES (new.id, new.caption);
        END;
        CREATE TRIGGER packets_fts_update AFTER UPDATE OF caption ON packets BEGIN
          INSERT INTO packets_fts (packets_fts, rowid, caption) SELECT 'delete', old.id, old.caption WHERE old.caption IS NOT NULL;
          INSERT INTO packets_fts (rowid, caption) SELECT new.id, new.caption WHERE new.caption IS NOT NULL;
        END;
        CREATE TRIGGER packets_fts_delete AFTER DELETE ON packets WHEN old.caption IS NOT NULL BEGIN
          INSERT INTO packets_fts (packets_fts, rowid, caption) VALUES ('delete', old.id, old.caption);
        END;
      `)
      rebuildRollups(db)
    }
  }
]

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version
