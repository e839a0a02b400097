// Shared engine state for every view: the live packet list, gaps, jobs and the event log.
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react'
import { notifications } from '@mantine/notifications'
import type { EventLogEntry, GapInfo, GscApi, JobInfo, PacketSummary } from '../../shared/api'

export type ViewName = 'timeline' | 'packets' | 'image' | 'planner' | 'replay' | 'settings' | 'events'

interface EngineState {
  api: GscApi
  packets: PacketSummary[]
  gaps: GapInfo[]
  jobs: JobInfo[]
  events: EventLogEntry[]
  view: ViewName
  setView(v: ViewName): void
  selectedId: number | null
  openPacket(id: number): void
  selectPacket(id: number | null): void
  refresh(): Promise<void>
  /** Runs an API call; on failure shows a notification and records it in the event log. */
  guard<T>(what: string, p: Promise<T>): Promise<T | undefined>
}

const Ctx = createContext<EngineState | null>(null)

export function useEngine(): EngineState {
  const s = useContext(Ctx)
  if (!s) throw new Error('useEngine outside EngineProvider')
  return s
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}

export function EngineProvider({ api, children }: { api: GscApi; children: ReactNode }) {
  const [packets, setPackets] = useState<PacketSummary[]>([])
  const [gaps, setGaps] = useState<GapInfo[]>([])
  const [jobs, setJobs] = useState<JobInfo[]>([])
  const [events, setEvents] = useState<EventLogEntry[]>([])
  const [view, setView] = useState<ViewName>('timeline')
  const [selectedId, setSelectedId] = useState<number | null>(null)
  const gapTimer = useRef<ReturnType<typeof setTimeout> | null>(null)

  const guard = useCallback(
    async <T,>(what: string, p: Promise<T>): Promise<T | undefined> => {
      try {
        return await p
      } catch (e) {
        const message = errorMessage(e)
        notifications.show({ color: 'red', title: what, message, autoClose: 8000 })
        api.logEvent({ severity: 'warning', source: 'interface', message: `${what}: ${message}`.slice(0, 2000) }).catch(() => {})
        return undefined
      }
    },
    [api]
  )

  const refresh = useCallback(async () => {
    const t = await guard('Loading the timeline', api.timeline({ limit: 5000 }))
    if (t) {
      setPackets(t.packets)
      setGaps(t.gaps)
    }
  }, [api, guard])

  useEffect(() => {
    refresh()
    api.listJobs({}).then(setJobs).catch(() => {})
    api.listEvents({ limit: 300 }).then(setEvents).catch(() => {})
    const offs = [
      api.on('packets', ({ added }) => {
        setPackets((prev) => {
          const seen = new Set(prev.map((p) => p.id))
          const fresh = added.filter((p) => !seen.has(p.id))
          return fresh.length ? [...prev, ...fresh].slice(-20000) : prev
        })
        // Gaps are worked out by the store; fetch them shortly after a burst of packets.
        if (gapTimer.current) clearTimeout(gapTimer.current)
        gapTimer.current = setTimeout(() => api.timeline({ limit: 1 }).then((t) => setGaps(t.gaps)).catch(() => {}), 250)
      }),
      api.on('job', (j) => {
        setJobs((prev) => {
          const i = prev.findIndex((x) => x.id === j.id)
          if (i < 0) return [j, ...prev]
          const next = prev.slice()
          next[i] = j
          return next
        })
        if (j.state === 'failed') notifications.show({ color: 'red', title: `${j.label} failed`, message: j.error ?? 'unknown error', autoClose: 10000 })
      }),
      api.on('log', (e) => {
        setEvents((prev) => [e, ...prev].slice(0, 2000))
        if (e.severity === 'distress' || e.severity === 'critical') notifications.show({ color: 'red', title: e.source, message: e.message })
      })
    ]
    return () => offs.forEach((o) => o())
  }, [api, refresh])

  const openPacket = useCallback((id: number) => {
    setSelectedId(id)
    setView('image')
  }, [])

  const value = useMemo<EngineState>(
    () => ({ api, packets, gaps, jobs, events, view, setView, selectedId, openPacket, selectPacket: setSelectedId, refresh, guard }),
    [api, packets, gaps, jobs, events, view, selectedId, openPacket, refresh, guard]
  )
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>
}
