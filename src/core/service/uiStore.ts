// The interface's own persistent state beside the packet log: settings, originals attached for
// comparison and the loaded calibration. A separate SQLite file so the packet log stays the engine's
// (the operator event log lives in the packet log's events table).
import Database from 'better-sqlite3'
import type { Settings, Severity } from '../../shared/api'

export const SEVERITY_ORDER: Severity[] = ['debug', 'info', 'watch', 'warning', 'distress', 'critical']

/** The interface's own settings (the image-APID setting lives in the packet log: every front door classifies alike;
 *  the decode limits in force are computed by the engine from these and its front door's). */
export type UiSettings = Omit<Settings, 'imageApids' | 'decodeLimits'>

export const DEFAULT_SETTINGS: UiSettings = { executionProvider: 'cpu', captionerUrl: '', captionerModel: '', decodeSteps: null, maxPixels: null, maxFlowSteps: null }

export class UiStore {
  private db: Database.Database

  constructor(readonly file: string) {
    this.db = new Database(file)
    this.db.pragma('journal_mode = WAL')
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS ui_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS ui_originals (packet_sha TEXT PRIMARY KEY, name TEXT NOT NULL, bytes BLOB NOT NULL, attached_at TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS ui_calibration (id INTEGER PRIMARY KEY CHECK (id = 1), name TEXT NOT NULL, json TEXT NOT NULL);
    `)
  }

  getSettings(): UiSettings {
    const rows = this.db.prepare('SELECT key, value FROM ui_settings').all() as { key: string; value: string }[]
    const s: Record<string, unknown> = { ...DEFAULT_SETTINGS }
    for (const r of rows) if (r.key in s) s[r.key] = JSON.parse(r.value)
    return s as unknown as UiSettings
  }

  setSettings(patch: Partial<UiSettings>): UiSettings {
    const put = this.db.prepare('INSERT INTO ui_settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value')
    this.db.transaction(() => {
      for (const [k, v] of Object.entries(patch)) if (v !== undefined) put.run(k, JSON.stringify(v))
    })()
    return this.getSettings()
  }

  putOriginal(packetSha: string, name: string, bytes: Buffer): void {
    this.db
      .prepare('INSERT INTO ui_originals (packet_sha, name, bytes, attached_at) VALUES (?, ?, ?, ?) ON CONFLICT(packet_sha) DO UPDATE SET name = excluded.name, bytes = excluded.bytes, attached_at = excluded.attached_at')
      .run(packetSha, name, bytes, new Date().toISOString())
  }

  getOriginal(packetSha: string): { name: string; bytes: Buffer } | null {
    return (this.db.prepare('SELECT name, bytes FROM ui_originals WHERE packet_sha = ?').get(packetSha) as { name: string; bytes: Buffer } | undefined) ?? null
  }

  hasOriginal(packetSha: string): boolean {
    return this.db.prepare('SELECT 1 FROM ui_originals WHERE packet_sha = ?').get(packetSha) !== undefined
  }

  putCalibration(name: string, json: string | null): void {
    if (json === null) this.db.prepare('DELETE FROM ui_calibration').run()
    else this.db.prepare('INSERT INTO ui_calibration (id, name, json) VALUES (1, ?, ?) ON CONFLICT(id) DO UPDATE SET name = excluded.name, json = excluded.json').run(name, json)
  }

  getCalibration(): { name: string; json: string } | null {
    return (this.db.prepare('SELECT name, json FROM ui_calibration WHERE id = 1').get() as { name: string; json: string } | undefined) ?? null
  }

  close(): void {
    this.db.close()
  }
}
