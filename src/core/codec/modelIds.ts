// The manifest ids of the models a decode or encode opens (codecModels.ts); kept free of imports so the
// engine can check availability without loading onnxruntime.
export const CODEC_MODEL_IDS = ['g_a', 'g_s', 'generator', 'generator_prior', 'caption_encoder'] as const
