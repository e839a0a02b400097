// Inputs and outputs of the bit-budget planner (pure data; see planner.ts for the method).

/** One way to send an image: C latent channels cost `bits` and leave `disagreement` = 1 - F1. */
export interface PlanCandidate {
  c: number
  /** Whole CCSDS Space Packet in bits, 48-bit primary header included (as `gsc bench` measures it). */
  bits: number
  /** V, 0..1: the chosen task's disagreement of the reconstruction with the original (detection: 1 - F1). */
  disagreement: number
}

export interface PlanImage {
  id: string
  candidates: PlanCandidate[]
}

export interface LinkBudget {
  /** Link rate in bit/s. */
  linkBps: number
  /** Pass duration in seconds. */
  passS: number
  /** Extra bits per packet on the link beyond the Space Packet (transfer frame header, ASM, coding); default 0. */
  overheadBitsPerPacket?: number
}

export interface PlanInput {
  /** Weight of the detection disagreement term (>= 0). */
  alpha: number
  /** Weight per bit (>= 0). */
  beta: number
  /** Images in priority order: when the pass cannot hold all of them, earlier ones are sent first. */
  images: PlanImage[]
  link?: LinkBudget
}

export interface FrontierPoint {
  c: number
  bits: number
  disagreement: number
  chosen: boolean
}

export interface ImagePlan {
  id: string
  /** Chosen candidate, or null when the image does not fit the pass. */
  chosen: (PlanCandidate & { cost: number }) | null
  /** Bits on the link for this image (packet + overhead), 0 when not sent. */
  linkBits: number
  /** Unconstrained optimum (what the image would get with an unlimited link). */
  unconstrained: PlanCandidate & { cost: number }
  /** Non-dominated candidates (fewer bits or lower disagreement), sorted by bits. */
  frontier: FrontierPoint[]
}

export interface UnsentImage {
  id: string
  smallestBits: number
  reason: 'larger than the whole pass' | 'pass full'
}

export interface PassFrontierPoint {
  totalBits: number
  meanDisagreement: number
}

export interface PlanResult {
  alpha: number
  beta: number
  method: string
  images: ImagePlan[]
  unsent: UnsentImage[]
  totals: {
    imagesRequested: number
    imagesSent: number
    /** Sum of chosen packet bits plus per-packet overhead. */
    linkBitsUsed: number
    objective: number
    meanDisagreementSent: number | null
  }
  link: null | {
    linkBps: number
    passS: number
    overheadBitsPerPacket: number
    primaryHeaderBits: 48
    bitsAvailableTotal: number
    /** Even share per requested image (packet + overhead). */
    bitsAvailablePerImage: number
    bitsLeft: number
  }
  /** Whole-pass frontier from the same hull walk with beta = 0 (total bits vs mean disagreement over sent images). */
  passFrontier: PassFrontierPoint[]
}
