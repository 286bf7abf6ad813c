/** Every plain-JSON shape the engine produces, for code that must not import src-main/ (the renderer, src-shared/). */
export * from './data.js';
export * from './metrics.js';
export * from './psc.js';
export * from './training.js';
export * from './learning.js';
