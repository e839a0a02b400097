// The store's single door to capture framing and packet inspection (owned by src/core/bitstream).
export { readCapture, type CaptureItem as SourceItem } from '../bitstream/capture'
export { inspectPacket } from '../bitstream/inspect'
export type { PacketInspection as SourceInspection } from '../bitstream/types'
