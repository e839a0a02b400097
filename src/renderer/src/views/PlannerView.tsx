// Planner: alpha/beta, link rate, pass duration and number of images; RD curves per C from
// calibration data; chosen C per image and pass totals recomputed as the inputs change.
import { useEffect, useMemo, useState } from 'react'
import { Alert, Badge, Button, FileButton, Group, NumberInput, Paper, ScrollArea, SegmentedControl, SimpleGrid, Slider, Stack, Table, Text, Title } from '@mantine/core'
import { useDebouncedValue } from '@mantine/hooks'
import type { PlanView } from '../../../shared/api'
import { useEngine, errorMessage } from '../state'
import { XYPlot } from '../components/XYPlot'
import { SEVERITY_COLOR, fmtBits } from '../theme'

/** The planner's V: which analysis the disagreement is measured on (the table must carry it: gsc bench --analyses). */
type PlanTask = 'detection' | 'segmentation' | 'depth'
const V_LABEL: Record<PlanTask, string> = { detection: '1−F1', segmentation: '1−seg. mIoU', depth: '1−depth δ1' }

const C_COLORS: Record<number, string> = { 1: '#8b96a3', 2: '#4c9be8', 4: '#39c5e6', 8: '#3fbf7f', 16: '#e8d44c' }

function Stat({ label, value, testId, color }: { label: string; value: string; testId?: string; color?: string }) {
  return (
    <Paper withBorder p="xs">
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text fw={700} size="lg" data-testid={testId} style={{ color }}>
        {value}
      </Text>
    </Paper>
  )
}

export function PlannerView() {
  const { api, guard, packets } = useEngine()
  const [alpha, setAlpha] = useState(1)
  const [betaMicro, setBetaMicro] = useState(100) // beta in 1e-6 per bit
  const [linkBps, setLinkBps] = useState<number | string>(2000)
  const [passS, setPassS] = useState<number | string>(600)
  const [images, setImages] = useState<number | string>(40)
  const [plan, setPlan] = useState<PlanView | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [calVersion, setCalVersion] = useState(0)
  const [task, setTask] = useState<PlanTask>('detection')
  const [inputs] = useDebouncedValue({ alpha, betaMicro, linkBps, passS, images, task }, 120)
  const vLabel = V_LABEL[task]

  useEffect(() => {
    let stale = false
    api
      .plan({
        alpha: inputs.alpha,
        beta: inputs.betaMicro * 1e-6,
        linkBps: typeof inputs.linkBps === 'number' && inputs.linkBps > 0 ? inputs.linkBps : undefined,
        passS: typeof inputs.passS === 'number' && inputs.passS > 0 ? inputs.passS : undefined,
        images: typeof inputs.images === 'number' && inputs.images >= 1 ? Math.floor(inputs.images) : 1,
        objective: { [inputs.task]: 1 }
      })
      .then((p) => !stale && (setPlan(p), setError(null)))
      .catch((e) => !stale && (setPlan(null), setError(errorMessage(e))))
    return () => {
      stale = true
    }
  }, [api, inputs, packets.length, calVersion])

  const cal = plan?.calibration
  const counts = useMemo(() => {
    const m = new Map<number, number>()
    for (const i of plan?.result.images ?? []) if (i.chosenC !== null) m.set(i.chosenC, (m.get(i.chosenC) ?? 0) + 1)
    return m
  }, [plan])
  const beta = betaMicro * 1e-6
  const costCurve = (cal?.curve ?? []).map((p) => ({ x: p.c, y: alpha * p.disagreement + beta * p.bits, label: `C=${p.c}` }))
  const best = costCurve.reduce<(typeof costCurve)[number] | null>((b, p) => (!b || p.y < b.y ? p : b), null)
  const t = plan?.result.totals
  const dominant = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0]

  return (
    <Group align="stretch" gap="sm" wrap="nowrap" style={{ flex: 1, minHeight: 0 }}>
      <Paper withBorder p="sm" w={300}>
        <Stack gap="sm">
          <Title order={5}>Inputs</Title>
          <div>
            <Text size="xs">V (disagreement of the reconstruction with the original)</Text>
            <SegmentedControl size="xs" fullWidth value={task} onChange={(v) => setTask(v as PlanTask)} data={['detection', 'segmentation', 'depth']} data-testid="v-task" />
          </div>
          <div>
            <Text size="xs">α (weight of {task} disagreement {vLabel})</Text>
            <Group gap="xs" wrap="nowrap">
              <Slider style={{ flex: 1 }} min={0} max={20} step={0.05} value={alpha} onChange={setAlpha} data-testid="alpha-slider" />
              <NumberInput size="xs" w={80} min={0} max={1000} step={0.1} decimalScale={3} value={alpha} onChange={(v) => typeof v === 'number' && setAlpha(v)} data-testid="alpha-input" aria-label="alpha" />
            </Group>
          </div>
          <div>
            <Text size="xs">β (weight per bit, ×10⁻⁶)</Text>
            <Group gap="xs" wrap="nowrap">
              <Slider style={{ flex: 1 }} min={0} max={2000} step={5} value={betaMicro} onChange={setBetaMicro} />
              <NumberInput size="xs" w={80} min={0} max={1e6} value={betaMicro} onChange={(v) => typeof v === 'number' && setBetaMicro(v)} aria-label="beta" />
            </Group>
          </div>
          <NumberInput size="xs" label="Link rate (bit/s)" min={1} value={linkBps} onChange={setLinkBps} />
          <NumberInput size="xs" label="Pass duration (s)" min={1} value={passS} onChange={setPassS} />
          <NumberInput size="xs" label="Number of images" min={1} max={10000} value={images} onChange={setImages} data-testid="images-input" />
          <Paper p="xs" bg="dark.7">
            <Text size="xs" c="dimmed">
              Calibration
            </Text>
            <Text size="sm" data-testid="calibration-source">
              {cal ? cal.source : '—'}
            </Text>
            {cal?.kind === 'log-estimate' && (
              <Text size="xs" c="yellow.5">
                Estimated from the packets in the log (bits scaled by C, disagreement ∝ 1/√C anchored at measured decodes). Load a gsc bench results.json for measured curves.
              </Text>
            )}
            <Group gap="xs" mt={6}>
              <FileButton
                accept="application/json,.json"
                onChange={async (f) => {
                  if (!f) return
                  const t = await guard('Load calibration', api.loadCalibration({ name: f.name, json: await f.text() }))
                  if (t) setCalVersion((v) => v + 1)
                }}
              >
                {(p) => (
                  <Button size="xs" variant="default" {...p}>
                    Load results.json…
                  </Button>
                )}
              </FileButton>
              {cal?.kind === 'bench' && (
                <Button size="xs" variant="subtle" onClick={() => guard('Clear calibration', api.clearCalibration({})).then(() => setCalVersion((v) => v + 1))}>
                  Use log estimate
                </Button>
              )}
            </Group>
          </Paper>
          <Text size="xs" c="dimmed">
            Per image: minimise α·({vLabel}) + β·bits over C. {plan?.result.method}
          </Text>
        </Stack>
      </Paper>
      <ScrollArea style={{ flex: 1 }}>
        {error && (
          <Alert color="yellow" title="No plan" mb="sm" data-testid="plan-error">
            {error}
          </Alert>
        )}
        {plan && t && (
          <Stack gap="sm">
            <SimpleGrid cols={5} spacing="xs">
              <Stat label="Chosen C (most images)" value={dominant !== undefined ? `C = ${dominant}` : '—'} testId="chosen-c" color={C_COLORS[dominant ?? 0]} />
              <Stat label="Images sent" value={`${t.imagesSent} / ${t.imagesRequested}`} testId="images-sent" color={t.imagesSent < t.imagesRequested ? SEVERITY_COLOR.warning : undefined} />
              <Stat label="Bits used" value={`${fmtBits(t.linkBitsUsed)}${t.bitsAvailable ? ` / ${fmtBits(t.bitsAvailable)}` : ''}`} testId="bits-used" />
              <Stat label={`Mean disagreement (${vLabel})`} value={t.meanDisagreement !== null ? t.meanDisagreement.toFixed(3) : '—'} />
              <Stat label="Objective" value={t.objective.toFixed(3)} />
            </SimpleGrid>
            <SimpleGrid cols={2} spacing="sm">
              <Paper withBorder p="xs">
                <Text size="sm" fw={600}>
                  Rate–distortion per C
                </Text>
                <XYPlot
                  testId="rd-plot"
                  xLabel="bits per packet"
                  yLabel={vLabel}
                  xFormat={(v) => fmtBits(v)}
                  yMin={0}
                  series={[
                    ...(cal?.images.slice(0, 30).map((im) => ({ name: im.id, color: '#4c9be8', faint: true, points: im.candidates.map((c) => ({ x: c.bits, y: c.disagreement })) })) ?? []),
                    {
                      name: 'mean',
                      color: '#39c5e6',
                      points: (cal?.curve ?? []).map((p) => ({ x: p.bits, y: p.disagreement, label: `C=${p.c}` }))
                    }
                  ]}
                />
              </Paper>
              <Paper withBorder p="xs">
                <Text size="sm" fw={600}>
                  Cost α·({vLabel}) + β·bits vs C (mean image){best ? ` · minimum at ${best.label}` : ''}
                </Text>
                <XYPlot
                  testId="cost-plot"
                  xLabel="C"
                  yLabel="cost"
                  xFormat={(v) => String(v)}
                  yFormat={(v) => v.toFixed(3)}
                  series={[
                    { name: 'cost', color: '#e8d44c', points: costCurve },
                    ...(best ? [{ name: 'minimum', color: '#3fbf7f', radius: 7, line: false, points: [best] }] : [])
                  ]}
                />
              </Paper>
              <Paper withBorder p="xs">
                <Text size="sm" fw={600}>
                  Chosen C per image
                </Text>
                <svg className="plot" width="100%" height={200} viewBox="0 0 500 200" preserveAspectRatio="none" data-testid="c-histogram">
                  {[1, 2, 4, 8, 16].map((c, i) => {
                    const n = counts.get(c) ?? 0
                    const max = Math.max(1, ...counts.values())
                    const h = (n / max) * 150
                    return (
                      <g key={c}>
                        <rect x={30 + i * 94} y={170 - h} width={70} height={h} fill={C_COLORS[c]} />
                        <text x={65 + i * 94} y={188} textAnchor="middle">
                          C={c}
                        </text>
                        <text x={65 + i * 94} y={165 - h} textAnchor="middle">
                          {n}
                        </text>
                      </g>
                    )
                  })}
                </svg>
              </Paper>
              <Paper withBorder p="xs">
                <Text size="sm" fw={600}>
                  Whole pass: total bits vs mean disagreement
                </Text>
                <XYPlot
                  testId="pass-plot"
                  xLabel="total bits"
                  yLabel={`mean ${vLabel}`}
                  xFormat={(v) => fmtBits(v)}
                  vline={t.bitsAvailable ? { x: t.bitsAvailable, label: 'pass capacity', color: SEVERITY_COLOR.warning } : undefined}
                  series={[
                    { name: 'frontier', color: '#4c9be8', points: plan.result.passFrontier.map((p) => ({ x: p.totalBits, y: p.meanDisagreement })), radius: 2 },
                    ...(t.meanDisagreement !== null ? [{ name: 'this plan', color: '#3fbf7f', radius: 7, line: false, points: [{ x: t.linkBitsUsed, y: t.meanDisagreement }] }] : [])
                  ]}
                />
              </Paper>
            </SimpleGrid>
            <Paper withBorder p="xs">
              <Text size="sm" fw={600} mb={4}>
                Per image (first 60)
              </Text>
              <Table fz="xs" verticalSpacing={2} data-testid="plan-table">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>image</Table.Th>
                    <Table.Th>chosen C</Table.Th>
                    <Table.Th>bits</Table.Th>
                    <Table.Th>{vLabel}</Table.Th>
                    <Table.Th>cost</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {plan.result.images.slice(0, 60).map((i, k) => (
                    <Table.Tr key={k}>
                      <Table.Td>{i.id}</Table.Td>
                      <Table.Td>{i.chosenC !== null ? <Badge size="xs" style={{ background: C_COLORS[i.chosenC], color: '#0a0d11' }}>C={i.chosenC}</Badge> : <Text size="xs" c="orange">not sent</Text>}</Table.Td>
                      <Table.Td>{i.bits}</Table.Td>
                      <Table.Td>{i.disagreement?.toFixed(3) ?? '—'}</Table.Td>
                      <Table.Td>{i.cost?.toFixed(4) ?? '—'}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Paper>
          </Stack>
        )}
      </ScrollArea>
    </Group>
  )
}
