// The station's settings: the interface's own (execution provider, captioner, decode steps, lower decode
// limits; kept per workstation) and the image APIDs, which live in the packet archive so that every front door,
// and every instance on a shared archive, classifies alike.
import type { ResultOf } from '../../shared/api'
import type { DecodeLimits } from '../bitstream/limits'
import { GscError } from '../util/errors'
import type { EngineContext } from './engineContext'
import type { HandlerTable } from './handlerTable'
import type { UiStore } from './uiStore'

/** The decode limits in force: the station's settings, which can only lower the front door's `ceiling`. */
export function decodeLimitsInForce(ui: UiStore, ceiling: DecodeLimits): DecodeLimits {
  const s = ui.getSettings()
  const c = ceiling
  return { maxPixels: Math.min(s.maxPixels ?? c.maxPixels, c.maxPixels), maxFlowSteps: Math.min(s.maxFlowSteps ?? c.maxFlowSteps, c.maxFlowSteps) }
}

/** `ceiling`: the front door's decode limits (gsc serve --max-pixels, --max-flow-steps). */
export function settingsHandlers(engine: EngineContext, ceiling: DecodeLimits): HandlerTable<'getSettings' | 'setSettings'> {
  const { ui, log, events } = engine
  const settings = async (): Promise<ResultOf<'getSettings'>> => ({ ...ui.getSettings(), imageApids: await log.imageApids(), decodeLimits: engine.limits() })
  return {
    getSettings: async () => settings(),
    setSettings: async (a) => {
      const { imageApids, ...own } = a
      const c = ceiling
      if (own.maxPixels != null && own.maxPixels > c.maxPixels)
        throw new GscError(`maxPixels ${own.maxPixels} is above this station's limit of ${c.maxPixels} pixels (set where it starts: gsc serve --max-pixels); a setting can only lower it`)
      if (own.maxFlowSteps != null && own.maxFlowSteps > c.maxFlowSteps)
        throw new GscError(`maxFlowSteps ${own.maxFlowSteps} is above this station's limit of ${c.maxFlowSteps} flow steps (set where it starts: gsc serve --max-flow-steps); a setting can only lower it`)
      // The detector follows the execution provider by itself (one cached per provider: codec/sharedDetector.ts).
      ui.setSettings(own)
      if (imageApids !== undefined && JSON.stringify(imageApids) !== JSON.stringify(await log.imageApids())) {
        const r = await log.setImageApids(imageApids)
        engine.decodes.clear()
        void events.add('info', 'settings', `image APIDs now ${imageApids === 'auto' ? 'automatic' : imageApids.join(', ')}: ${r.packets} packets re-classified`)
        await engine.feed.skipToNewest()
      }
      void events.add('info', 'settings', `settings changed: ${Object.keys(a).join(', ')}`)
      return settings()
    }
  }
}
