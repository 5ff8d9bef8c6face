/**
 * The runtime's public API (`nnc/runtime`): what generated modules import. It grows with the
 * training runtime (backends, data, fit loop, checkpoints); generated code imports nothing else.
 */
export const runtimeVersion = 0;
