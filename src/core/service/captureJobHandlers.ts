// Capture jobs: uploading a capture file, importing it, replaying it at a pace (pause, resume, speed),
// and the job list with cancellation.
import { statSync } from 'node:fs'
import type { ArgsOf, JobInfo } from '../../shared/api'
import { readCapture } from '../bitstream/capture'
import type { ImportSummary } from '../store/types'
import { describeError, GscError } from '../util/errors'
import type { EngineContext } from './engineContext'
import type { HandlerTable } from './handlerTable'
import type { JobHandle } from './jobs'
import { hidePath } from './uploads'

type CaptureJobMethods = 'uploadBegin' | 'uploadChunk' | 'uploadEnd' | 'importCapture' | 'replayStart' | 'replayControl' | 'listJobs' | 'cancelJob'

/** A job task whose errors name an uploaded file by its name, never by its path on this machine. */
function namingUpload<T>(file: string, name: string, task: (job: JobHandle) => Promise<T>): (job: JobHandle) => Promise<T> {
  return (job) =>
    task(job).catch((e: unknown) => {
      throw hidePath(e, file, name)
    })
}

function startImport(engine: EngineContext, a: ArgsOf<'importCapture'>): { jobId: string } {
  const { events } = engine
  const f = engine.uploads.resolve(a.file)
  const name = a.name ?? f.name
  const { job, done } = engine.jobs.start('import', `import ${name}`, namingUpload(f.file, name, async (job) => {
    void events.add('info', 'import', `importing ${name}`)
    let lastPush = 0
    const s = await engine.log.importCapture(f.file, {
      signal: job.signal,
      resume: false,
      onProgress: (p) => {
        job.progress(p.bytesDone, p.bytesTotal, `${p.packets} packets, ${p.bad} bad`)
        // Live views get new packets about five times a second during a fast import.
        const now = Date.now()
        if (now - lastPush >= 200) {
          lastPush = now
          // A failed push is not the import's failure; the final push below reports it.
          void engine.feed.push().catch(() => 0)
        }
      }
    })
    await engine.feed.push()
    job.progress(s.captureBytes, s.captureBytes, `${s.imported} packets`)
    reportImport(engine, name, s)
    return s
  }))
  done.catch((e) => events.add(job.signal.aborted ? 'watch' : 'distress', 'import', `${name}: ${job.signal.aborted ? 'cancelled' : describeError(e)}`))
  return { jobId: job.info.id }
}

function reportImport(engine: EngineContext, name: string, s: ImportSummary): void {
  const { events } = engine
  void events.add('info', 'import', `${name}: ${s.imported} packets imported, ${s.duplicates} duplicates${s.interrupted ? ' (interrupted)' : ''}`)
  if (s.crcFailed + s.malformed > 0) void events.add('warning', 'import', `${name}: ${s.crcFailed} CRC failures, ${s.malformed} malformed packets`)
  if (s.gaps > 0) void events.add('warning', 'import', `${name}: ${s.gaps} sequence gap(s), ${s.missing} packet(s) missing`)
}

/** Replays a capture into the log at `speed` packets a second; with `decode`, each new packet is decoded as it arrives. */
function startReplay(engine: EngineContext, a: ArgsOf<'replayStart'>, decode: (packetId: number) => Promise<unknown>): { jobId: string } {
  const { events } = engine
  const f = engine.uploads.resolve(a.file)
  const name = a.name ?? f.name
  const speed = a.speed ?? 2
  const task = async (job: JobHandle) => {
    const total = statSync(f.file).size
    void events.add('info', 'replay', `replaying ${name} at ${speed} packet/s`)
    let n = 0
    let bad = 0
    for await (const item of readCapture(f.file, { signal: job.signal })) {
      while (job.controls.paused && !job.signal.aborted) await new Promise<void>((r) => (job.controls.wake = r))
      if (job.signal.aborted) break
      const res = await engine.log.ingest(item.bytes, new Date(), item.framed)
      n++
      if (res.status !== 'ok' && res.status !== 'foreign' && res.status !== 'idle') {
        bad++
        void events.add('warning', 'replay', `packet ${res.id}: ${item.inspection.error ?? res.status}`)
      }
      if (res.newGaps > 0) void events.add('warning', 'replay', `sequence gap before packet ${res.id}`)
      await engine.feed.push()
      job.progress(item.offset + item.bytes.length, total, `${n} packets, ${bad} bad`)
      if (a.decode && res.status === 'ok' && !res.duplicate) {
        job.info.detail = `${n} packets, decoding ${res.id}`
        engine.jobs.update(job.info.id)
        await decode(res.id).catch(() => {})
      }
      await sleepPaced(job)
    }
    void events.add('info', 'replay', `${name}: ${n} packets replayed${job.signal.aborted ? ' (stopped)' : ''}`)
    return n
  }
  const { job, done } = engine.jobs.start('replay', `replay ${name}`, namingUpload(f.file, name, task), { paused: false, speed })
  done.catch((e) => events.add('distress', 'replay', `${name}: ${describeError(e)}`))
  return { jobId: job.info.id }
}

/** Waits one packet's time at the job's pace; a control change (pause, speed, cancel) wakes it early. */
function sleepPaced(job: JobHandle): Promise<void> {
  const ms = 1000 / job.controls.speed
  return new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms)
    job.controls.wake = () => {
      clearTimeout(t)
      resolve()
    }
  })
}

function replayControl(engine: EngineContext, a: ArgsOf<'replayControl'>): JobInfo {
  const job = engine.jobs.get(a.jobId)
  if (job.info.kind !== 'replay') throw new GscError(`${a.jobId} is not a replay`)
  if (a.action === 'pause') job.controls.paused = true
  if (a.action === 'resume') job.controls.paused = false
  if (a.action === 'speed') {
    if (a.speed === undefined) throw new GscError('replay speed: give a speed in packets per second')
    job.controls.speed = a.speed
  }
  job.info.paused = job.controls.paused
  job.info.speed = job.controls.speed
  job.controls.wake()
  engine.jobs.update(job.info.id)
  return { ...job.info }
}

export function captureJobHandlers(engine: EngineContext, decode: (packetId: number) => Promise<unknown>): HandlerTable<CaptureJobMethods> {
  const { uploads, jobs } = engine
  return {
    uploadBegin: async (a, c) => ({ uploadId: uploads.begin(a.name, a.size, c.client) }),
    uploadChunk: async (a, c) => ({ received: uploads.chunk(a.uploadId, a.offset, Buffer.from(a.data, 'base64'), c.client) }),
    uploadEnd: async (a, c) => uploads.end(a.uploadId, c.client),
    importCapture: async (a) => startImport(engine, a),
    replayStart: async (a) => startReplay(engine, a, decode),
    replayControl: async (a) => replayControl(engine, a),
    listJobs: async () => jobs.list(),
    cancelJob: async (a) => jobs.cancel(a.jobId)
  }
}
