// The `gsc` command table. Each command lives in its own module, loaded only when used.
import type { CommandSpec } from '../framework'

export interface CommandEntry {
  summary: string
  load: () => Promise<{ default: CommandSpec<any> }>
}

export const COMMANDS: Record<string, CommandEntry> = {
  version: { summary: 'print versions of the app, runtime and native modules', load: () => import('./version') },
  // wire format (issue 2)
  inspect: { summary: 'print every packet header field and CRC status of a packet or capture', load: () => import('./inspect') },
  // packet log (issue 2)
  'log import': { summary: 'import a capture file into the packet log (streaming, resumable)', load: () => import('./logImport') },
  'log export': { summary: 'export the packet log as a capture file (byte-identical)', load: () => import('./logExport') },
  'log stats': { summary: 'summarise the packet log: counts, gaps, duplicates, CRC failures', load: () => import('./logStats') },
  // shared PostgreSQL archive (issue 18)
  'log migrate': { summary: 'move a SQLite packet log into a PostgreSQL archive, verified by byte-identical export', load: () => import('./logMigrate') },
  worker: { summary: "decode jobs from the shared archive's queue into its decode cache", load: () => import('./worker') },
  'decode-queue': { summary: "enqueue the shared archive's packets for the decode workers and wait; --failed lists failed jobs", load: () => import('./decodeQueue') },
  replay: { summary: 'ingest a capture at a chosen pace, reporting progress', load: () => import('./replay') },
  // models and analysis (issue 3)
  models: { summary: 'list the shipped models and verify their hashes', load: () => import('./models') },
  detect: { summary: 'run the object detector on an image', load: () => import('./detect') },
  caption: { summary: 'write a caption for an image (built-in or external captioner)', load: () => import('./caption') },
  // codec (issue 4)
  encode: { summary: 'encode an image into one GSC packet', load: () => import('./encode') },
  'encode-dir': { summary: 'encode a folder of images into one capture file', load: () => import('./encodeDir') },
  decode: { summary: 'decode a packet or capture into images', load: () => import('./decode') },
  // evaluation and planning (issue 5)
  bench: { summary: 'benchmark GSC against baseline codecs at equal bits', load: () => import('./bench') },
  baseline: { summary: "fit baseline codecs to a packet's bytes, as the Image view's baseline panel does", load: () => import('./baseline') },
  sheet: { summary: 'comparison sheets: the original, then GSC at each C beside the best baseline at the same bytes', load: () => import('./sheet') },
  plan: { summary: 'choose C per image under alpha/beta weights and a link budget', load: () => import('./plan') },
  // interface (issue 6)
  serve: { summary: 'serve the mission-control interface and API on 127.0.0.1', load: () => import('./serve') }
}
