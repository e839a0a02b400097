// Which onnxruntime execution provider a decode worker uses. CUDA when asked for, or, when nothing is asked, when
// onnxruntime-node's CUDA provider library is installed beside its binding (its install script fetches it on a CUDA
// host). Untested here: this machine has no GPU, so only the CPU path has run.
import { existsSync, readdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { ExecutionProvider } from '../modelAssets/manifest'

/** True when libonnxruntime_providers_cuda.so is installed with onnxruntime-node (so a CUDA session can open). */
export function cudaProviderInstalled(): boolean {
  try {
    const root = dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'))
    const bin = join(root, 'bin')
    for (const napi of existsSync(bin) ? readdirSync(bin) : []) {
      const dir = join(bin, napi, process.platform, process.arch)
      if (existsSync(join(dir, 'libonnxruntime_providers_cuda.so'))) return true
    }
  } catch {
    /* onnxruntime-node not resolvable: no CUDA */
  }
  return false
}

/** The provider asked for, else CUDA where its library is installed, else CPU. */
export function chooseExecutionProvider(requested?: ExecutionProvider): { provider: ExecutionProvider; why: string } {
  if (requested) return { provider: requested, why: `--provider ${requested}` }
  if (cudaProviderInstalled()) return { provider: 'cuda', why: "onnxruntime-node's CUDA provider is installed" }
  return { provider: 'cpu', why: "onnxruntime-node's CUDA provider is not installed" }
}
