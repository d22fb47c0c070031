import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';

/**
 * TensorFlow.js backend selection: tfjs-node when it is installed (native libtensorflow), else WASM
 * (SIMD when the CPU supports it) with the .wasm binaries loaded from node_modules — never downloaded —
 * else the plain JavaScript 'cpu' backend. The choice is logged by the caller and exported for /metrics
 * via {@link activeBackend} (gauge aiopsd_detect_backend_info{backend}).
 */
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
export type BackendPreference = 'auto' | BackendName;

let active: BackendName | null = null;
let pending: Promise<BackendName> | null = null;
let pendingPref: BackendPreference | null = null;

/** Directory holding tfjs-backend-wasm's .wasm files (with a trailing slash, as setWasmPaths wants). */
export function wasmDir(): string {
  const require = createRequire(import.meta.url);
  const pkg = require.resolve('@tensorflow/tfjs-backend-wasm/package.json');
  return join(dirname(pkg), 'dist') + '/';
}

async function tryNode(): Promise<boolean> {
  try {
    // Optional dependency: never in package.json. The specifier is a variable so bundlers and tsc
    // do not require it to exist.
    const name = '@tensorflow/tfjs-node';
    await import(name);
    return await tf.setBackend('tensorflow');
  } catch {
    return false;
  }
}

async function tryWasm(): Promise<boolean> {
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(wasmDir());
    return await tf.setBackend('wasm');
  } catch {
    return false;
  }
}

/**
 * Initialise the backend once per thread. `auto` tries tensorflow → wasm → cpu; a named preference
 * tries that one and falls back to cpu. Returns the backend in use.
 */
export function initBackend(preference: BackendPreference = 'auto'): Promise<BackendName> {
  if (pending && pendingPref === preference) return pending;
  pendingPref = preference;
  pending = (async () => {
    const order: BackendName[] =
      preference === 'auto' ? ['tensorflow', 'wasm', 'cpu'] : preference === 'cpu' ? ['cpu'] : [preference, 'cpu'];
    for (const b of order) {
      const ok = b === 'tensorflow' ? await tryNode() : b === 'wasm' ? await tryWasm() : await tf.setBackend('cpu');
      if (ok) {
        await tf.ready();
        active = b;
        return b;
      }
    }
    throw new Error('no TensorFlow.js backend could be initialised (tried ' + order.join(', ') + ')');
  })();
  return pending;
}

/** Backend in use in this thread, or null before {@link initBackend} finished. For the /metrics gauge. */
export function activeBackend(): BackendName | null {
  return active;
}

/** True when the WASM backend runs with SIMD (only meaningful when the wasm backend is active). */
export async function wasmSimd(): Promise<boolean> {
  return (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
}
