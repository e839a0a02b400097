// Full-range BT.601 YCbCr (JPEG's): the colour planes of the selection rule (channelSelection.ts), of g_a's thumbnails
// (training/latent/latent_codec.py ycc_planes) and of the station's thumbnail correction (consistentThumbnail.ts).
// Cb and Cr come out centred on 0; callers that keep them in 0..1 add 0.5.

/** Rows Y, Cb, Cr; columns R, G, B. */
export const RGB_TO_YCBCR = [
  [0.299, 0.587, 0.114],
  [-0.168736, -0.331264, 0.5],
  [0.5, -0.418688, -0.081312],
] as const

/** R, G, B from Y and centred Cb, Cr: R = Y + CR_TO_R Cr, G = Y + CB_TO_G Cb + CR_TO_G Cr, B = Y + CB_TO_B Cb. */
export const CR_TO_R = 1.402
export const CB_TO_G = -0.344136
export const CR_TO_G = -0.714136
export const CB_TO_B = 1.772
