// What the engine's domain modules share. EngineService builds one EngineContext when it opens and gives it
// to each domain (packets, reconstruction, capture jobs, planning, models, station); the shape of their
// handler tables is in handlerTable.ts.
import type { DecodeLimits } from '../bitstream/limits'
import type { RoutingOptions } from '../jobs/queueRouting'
import type { PacketArchive } from '../store/archive'
import type { ClientLogLimits } from './clientLog'
import type { DecodeCache } from './decodeCache'
import type { EventLog } from './eventLog'
import type { JobRegistry } from './jobs'
import type { PacketFeed } from './packetFeed'
import type { UiStore } from './uiStore'
import type { UploadArea, UploadLimits } from './uploads'

export interface ServiceOptions {
  /** The packet archive: a SQLite file path, or a postgres:// URL of a shared archive (store/archive.ts). */
  dbFile: string
  frontDoor: 'electron' | 'serve'
  /** Where uploads and the interface's own state (settings, attached originals, calibration) live: per
   *  workstation, also when the archive is shared. Default: beside a SQLite file; for a URL, stationDir(). */
  workDir?: string
  modelsDir?: string
  /** Limits on what clients may do (defaults in uploads.ts and clientLog.ts; docs/serve.md). */
  limits?: { uploads?: Partial<UploadLimits>; clientLog?: Partial<ClientLogLimits>; decode?: Partial<DecodeLimits> }
  /** On a PostgreSQL archive: how long a reconstruction waits for a decode worker, and when a worker counts as gone
   *  (jobs/queueRouting.ts; defaults 60 s and 15 s). */
  decodeWorkers?: RoutingOptions
}

export interface EngineContext {
  readonly opts: ServiceOptions
  readonly log: PacketArchive
  readonly ui: UiStore
  readonly jobs: JobRegistry
  readonly uploads: UploadArea
  readonly events: EventLog
  /** Live push of new packets to subscribers. */
  readonly feed: PacketFeed
  /** Reconstructions kept for the Image view, comparisons and the planner's estimate. */
  readonly decodes: DecodeCache
  /** The decode limits in force: the station's settings, which can only lower the front door's (docs/bitstream.md 4.1). */
  limits(): DecodeLimits
}
