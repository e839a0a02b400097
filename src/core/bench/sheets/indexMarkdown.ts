// <out>/index.md: one table row per sheet and C (GSC beside its best baseline) from every sheet JSON in the folder.
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { metricDef } from './labels'
import { BEST_BASELINE_RULE, SHEET_KIND, type SheetRecord } from './types'

export function readSheets(out: string): SheetRecord[] {
  const recs: SheetRecord[] = []
  for (const f of readdirSync(out).filter((n) => n.endsWith('.json')).sort()) {
    try {
      const j = JSON.parse(readFileSync(path.join(out, f), 'utf8')) as SheetRecord
      if (j && j.kind === SHEET_KIND) recs.push(j)
    } catch {
      // not a sheet
    }
  }
  return recs
}

export function indexMarkdown(recs: SheetRecord[], command?: string): string {
  const f = (key: string, v: number | undefined) => {
    const m = metricDef(key)
    return m && v !== undefined && Number.isFinite(v) ? v.toFixed(m.digits) : '–'
  }
  const lines = [
    '# Comparison sheets',
    '',
    'Each sheet shows the original, then for each C the GSC reconstruction (the packet encoded with the default models',
    'and decoded) beside the best baseline at the same bytes. Under each panel: the method, its bytes, and ΔE00,',
    'blockiness, LPIPS and MS-SSIM of that panel against the original. Every number is in the sheet\'s JSON.',
    '',
    `Rule: ${BEST_BASELINE_RULE}.`,
    '',
    ...(command ? ['Made with:', '', '```', command, '```', ''] : []),
    '| sheet | size | C | GSC bytes | best baseline (bytes) | MS-SSIM GSC / base | ΔE00 GSC / base | blockiness GSC / base | LPIPS GSC / base |',
    '|---|---|---|---|---|---|---|---|---|'
  ]
  for (const r of recs) {
    for (const c of r.perC) {
      const b = c.baselines.find((x) => x.codec === c.best)
      const bm = b?.metrics as Record<string, number> | undefined
      const gm = c.gsc.metrics as Record<string, number>
      const pair = (k: string) => `${f(k, gm[k])} / ${f(k, bm?.[k])}`
      lines.push(
        `| [${r.id}](${r.sheet.png}) | ${r.width}×${r.height} | ${c.c} | ${c.gsc.bytes} | ${b ? `${b.name} (${b.bytes})` : 'none fits'} | ${pair('msssim')} | ${pair('ciede2000')} | ${pair('blockiness')} | ${pair('lpips')} |`
      )
    }
  }
  lines.push('')
  for (const r of recs) lines.push(`## ${r.id}`, '', `![${r.id}](${r.sheet.png})`, '')
  return lines.join('\n')
}
