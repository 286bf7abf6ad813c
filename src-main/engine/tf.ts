/**
 * The engine's one door to tfjs. In Node, tfjs-core's ES build cannot be imported (directory imports) and its
 * CommonJS build registers no gradients; the union package's Node build bundles them. Every engine module
 * imports `tf` from here so that differentiation and prod mode are set up once.
 */
import * as tf from '@tensorflow/tfjs';

// Prod mode drops tfjs's console banners and per-op debug checks; correctness checks live in our tests.
tf.enableProdMode();

export * from '@tensorflow/tfjs';
export default tf;
