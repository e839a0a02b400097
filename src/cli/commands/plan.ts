// `gsc plan`: choose C per image from a bench calibration table, optionally under a link budget.
import { readFileSync } from 'node:fs'
import type { CommandSpec } from '../framework'
import { UsageError, numberOpt, requireString, stringOpt } from '../framework'
import { GscError } from '../../core/util/errors'
import { plan } from '../../core/planner/planner'
import { DEFAULT_OBJECTIVE, describeObjective, parseObjective, planImagesFromTable, type CalibrationTable, type PlanObjective, type PlanSource } from '../../core/planner/calibration'
import type { PlanResult } from '../../core/planner/types'

function readTable(file: string): CalibrationTable {
  let doc: unknown
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'))
  } catch (e) {
    throw new GscError(`cannot read table ${file}: ${(e as Error).message.split('\n')[0]}`)
  }
  // Accept a bench results.json (calibration inside) or a bare calibration table.
  const t = (doc as { calibration?: unknown })?.calibration ?? doc
  const table = t as Partial<CalibrationTable>
  if (!table || !Array.isArray(table.groups) || !Array.isArray(table.images))
    throw new GscError(`${file} is not a calibration table (expected a gsc bench results.json with a "calibration" field)`)
  return table as CalibrationTable
}

const planCommand: CommandSpec<PlanResult & { source: PlanSource; table: string; objective: PlanObjective; v: string }> = {
  name: 'plan',
  summary: 'choose C per image under alpha/beta weights and a link budget',
  usage:
    'gsc plan --table <results.json> --alpha A --beta B [--link-bps R --pass-s T] [--images N] [--overhead-bits O] [--scene S] [--objective V] [--json]\n' +
    '  cost per image = A * V + B * packet bits (packet = whole CCSDS Space Packet, 48-bit primary header included)\n' +
    '  --objective: what V is: detection (default, 1 - detection F1), segmentation (1 - segmentation agreement mIoU), depth\n' +
    '  (1 - depth agreement delta1), or a weighted mix such as detection=0.5,segmentation=0.25,depth=0.25 (weights normalised);\n' +
    '  the table must carry the task (gsc bench --analyses).\n' +
    '  without --images: plans the measured images of the table with their own candidates (per image);\n' +
    '  with --images N: plans N future images of --scene (default: all scenes pooled) from the table\'s mean bits and disagreement per C.\n' +
    '  --link-bps and --pass-s give the pass budget; --overhead-bits adds link bits per packet beyond the Space Packet (default 0).',
  options: {
    table: { type: 'string' },
    alpha: { type: 'string' },
    beta: { type: 'string' },
    'link-bps': { type: 'string' },
    'pass-s': { type: 'string' },
    images: { type: 'string' },
    'overhead-bits': { type: 'string' },
    scene: { type: 'string' },
    objective: { type: 'string' }
  },
  async run(args) {
    const tableFile = requireString(args, 'table', 'a gsc bench results.json')
    const alpha = numberOpt(args, 'alpha', undefined, { min: 0 })
    const beta = numberOpt(args, 'beta', undefined, { min: 0 })
    if (alpha === undefined) throw new UsageError('missing --alpha (weight of the disagreement V)')
    if (beta === undefined) throw new UsageError('missing --beta (weight per bit)')
    const linkBps = numberOpt(args, 'link-bps', undefined, { min: 0 })
    const passS = numberOpt(args, 'pass-s', undefined, { min: 0 })
    if ((linkBps === undefined) !== (passS === undefined)) throw new UsageError('--link-bps and --pass-s go together')
    const count = numberOpt(args, 'images', undefined, { int: true, min: 1 })
    const overhead = numberOpt(args, 'overhead-bits', 0, { min: 0 })!
    if (overhead > 0 && linkBps === undefined) throw new UsageError('--overhead-bits needs --link-bps and --pass-s')
    const scene = stringOpt(args, 'scene')
    const objectiveText = stringOpt(args, 'objective')
    let objective = DEFAULT_OBJECTIVE
    try {
      if (objectiveText !== undefined) objective = parseObjective(objectiveText)
    } catch (e) {
      throw new UsageError(`--objective: ${(e as Error).message}`)
    }
    const table = readTable(tableFile)
    const source: PlanSource = count === undefined ? { mode: 'per-image', scene } : { mode: 'table', scene, count }
    const images = planImagesFromTable(table, source, objective)
    const result = plan({
      alpha,
      beta,
      images,
      link: linkBps !== undefined ? { linkBps, passS: passS!, overheadBitsPerPacket: overhead } : undefined
    })
    return { ...result, source, table: tableFile, objective, v: describeObjective(objective) }
  },
  format(r) {
    const lines: string[] = []
    lines.push(`plan: alpha=${r.alpha} beta=${r.beta} (${r.source.mode}${r.source.scene ? `, scene ${r.source.scene}` : ''}), V = ${r.v}`)
    if (r.link)
      lines.push(
        `link: ${r.link.linkBps} bit/s x ${r.link.passS} s = ${r.link.bitsAvailableTotal} bits (${r.link.bitsAvailablePerImage} per image), ` +
          `overhead ${r.link.overheadBitsPerPacket} bits/packet beyond the Space Packet (48-bit primary header counted in packet bits)`
      )
    lines.push('image                          C    bits     V    cost')
    for (const i of r.images) {
      const c = i.chosen
      lines.push(
        c
          ? `${i.id.padEnd(30)} ${String(c.c).padStart(2)} ${String(c.bits).padStart(7)} ${c.disagreement.toFixed(3)} ${c.cost.toPrecision(4)}`
          : `${i.id.padEnd(30)}  -  not sent`
      )
    }
    lines.push('Pareto frontier per image (bits / V; * = chosen):')
    for (const i of r.images) lines.push(`  ${i.id}: ${i.frontier.map((p) => `${p.chosen ? '*' : ''}C${p.c} ${p.bits}/${p.disagreement.toFixed(3)}`).join('  ')}`)
    if (r.passFrontier.length > 1)
      lines.push(`pass frontier (total bits -> mean V): ${r.passFrontier.map((p) => `${p.totalBits}->${p.meanDisagreement.toFixed(3)}`).join(', ')}`)
    for (const u of r.unsent) lines.push(`not sent: ${u.id} (${u.reason}; smallest packet ${u.smallestBits} bits)`)
    const t = r.totals
    lines.push(
      `sent ${t.imagesSent}/${t.imagesRequested}, ${t.linkBitsUsed} link bits, objective ${t.objective.toPrecision(5)}` +
        (t.meanDisagreementSent !== null ? `, mean V ${t.meanDisagreementSent.toFixed(3)}` : '') +
        (r.link ? `, ${r.link.bitsLeft} bits left` : '')
    )
    return lines.join('\n')
  }
}

export default planCommand
