// How the engine names its packet archive, and where a workstation keeps its own state when the archive is shared.
import { homedir } from 'node:os'
import path from 'node:path'

/** How messages name the archive: a SQLite file by its full path, a shared one by its URL (without password). */
export function archiveName(kind: 'sqlite' | 'postgres', location: string): string {
  return kind === 'sqlite' ? path.resolve(location) : location
}

/**
 * Where a workstation keeps its own state for a shared archive: ~/.gsc/stations/<host>_<port>_<database>
 * ($GSC_HOME instead of ~/.gsc), one folder per archive so two archives' settings do not mix.
 */
export function stationDir(url: string): string {
  const u = new URL(url)
  const name = `${u.hostname || 'localhost'}_${u.port || '5432'}_${decodeURIComponent(u.pathname.replace(/^\//, '')) || 'postgres'}`.replace(/[^A-Za-z0-9._-]/g, '_')
  return path.join(process.env.GSC_HOME ?? path.join(homedir(), '.gsc'), 'stations', name)
}
