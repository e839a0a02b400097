import { createRequire } from 'node:module'
import type { CommandSpec } from '../framework'

const require = createRequire(import.meta.url)

interface VersionInfo {
  app: string
  node: string
  platform: string
  sqlite: string
}

const version: CommandSpec<VersionInfo> = {
  name: 'version',
  summary: 'print versions of the app, runtime and native modules',
  usage: 'gsc version [--json]',
  async run() {
    const pkg = require('../../../package.json') as { version: string }
    const Database = require('better-sqlite3') as typeof import('better-sqlite3')
    const db = new Database(':memory:')
    const sqlite = (db.prepare('select sqlite_version() as v').get() as { v: string }).v
    db.close()
    return { app: pkg.version, node: process.version, platform: `${process.platform}-${process.arch}`, sqlite }
  },
  format: (r) => `gsc ${r.app} (node ${r.node}, ${r.platform}, sqlite ${r.sqlite})`
}

export default version
