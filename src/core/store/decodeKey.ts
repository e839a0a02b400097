// The key a decode result is stored under, the same in every back end and in the decode workers: the decode
// parameters as JSON with their keys sorted.
export function canonicalKey(params: Record<string, unknown>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(params).sort(([a], [b]) => (a < b ? -1 : 1))))
}
