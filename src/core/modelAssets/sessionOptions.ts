// onnxruntime session settings for the analysis models (detector, LPIPS): a fixed thread count and no spinning,
// so an idle session costs no CPU beside the codec's own sessions on a 2-core station. Also the codec's sessions
// (openModel): one thread per core, or N in a `gsc worker --threads N`, so workers on one host share its cores.
import type * as ort from 'onnxruntime-node'

export function analysisSessionOptions(provider: 'cpu' | 'cuda', threads: number): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: [provider],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    extra: { session: { intra_op: { allow_spinning: '0' } } }
  }
}
