// @tensorflow/tfjs-core's Node bundle registers neither gradients (needed to train) nor chained
// ops (tfjs-layers' orthogonal initializer calls `tensor.flatten()`), and its ESM files cannot be
// imported one by one from Node. The `@tensorflow/tfjs` umbrella registers both on the same
// tfjs-core instance (one 4.22.0 copy, deduplicated by npm).
import '@tensorflow/tfjs';
