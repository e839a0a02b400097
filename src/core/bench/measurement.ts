// The bench's measurement settings: the detector's operating points, how many detections are stored, and the
// method version that keys the result cache. Shared by the run, its summaries and the report.

/** Detections at or above this score count for detection agreement (the detector's operating point). */
export const AGREEMENT_SCORE = 0.3
/** Detections kept for mAP@0.5 (a low threshold so the precision-recall curve is complete). */
export const MAP_SCORE = 0.05
export const MAX_STORED_DETECTIONS = 100
/** Bump when the measurement method changes: cached results with another version are recomputed.
 *  2: ΔE00 and blockiness added to every reconstruction's metrics (IMAGE_METRICS). 3: false texture added. */
export const BENCH_METHOD_VERSION = 3
