// Decodes the steps the wasm exports pack: the format is described once, in src/wasm/step.rs.
// js/runner.js and the wasm-bindgen test suite (tests/wasm.rs) share this decoder.

/** The step format this decoder reads (src/wasm/step.rs STEP_FORMAT). */
export const STEP_FORMAT = 1;

/** Thrown when a packed step does not follow the format: the engine and its JS face disagree. */
export class StepFormatError extends Error {
  get name() {
    return 'StepFormatError';
  }
}

/**
 * Unpacks one step into `{ v, h, t, lock?, ...fields, result?, events?, progress?, writes? }`.
 * Checks the version and that the segment lengths add up to the rest of the string exactly.
 * @param {string} packed
 */
export function unpack(packed) {
  if (typeof packed !== 'string') throw new StepFormatError(`a step must be a string, got ${typeof packed}`);
  const nl = packed.indexOf('\n');
  if (nl < 0) throw new StepFormatError('a step has no header line');
  let step;
  try {
    step = JSON.parse(packed.slice(0, nl));
  } catch (e) {
    throw new StepFormatError(`a step header is not JSON: ${e.message}`);
  }
  if (step === null || typeof step !== 'object' || step.v !== STEP_FORMAT) {
    throw new StepFormatError(`step format ${step?.v} is not ${STEP_FORMAT}: the wasm module and js/step.js are from different builds`);
  }
  const n = step.n;
  if (!Array.isArray(n)) throw new StepFormatError('a step header has no segment lengths');
  let total = 0;
  for (const len of n) {
    if (!Number.isSafeInteger(len) || len < 0) throw new StepFormatError(`a segment length is ${len}`);
    total += len;
  }
  if (nl + 1 + total !== packed.length) {
    throw new StepFormatError(`segment lengths add up to ${total}, but ${packed.length - nl - 1} characters follow the header`);
  }
  const segments = new Array(n.length);
  let pos = nl + 1;
  for (let i = 0; i < n.length; i++) {
    const end = pos + n[i];
    segments[i] = packed.slice(pos, end);
    pos = end;
  }
  switch (step.t) {
    case 'commit':
    case 'done':
      step.result = segments[0];
      step.events = segments[1];
      break;
    case 'batch':
      step.progress = segments[0];
      step.events = segments[1];
      break;
    case 'hook':
      step.payload = segments[0];
      break;
    default:
  }
  if (step.t === 'commit' || step.t === 'batch') {
    // A write without a value (segment -1) is a check: the key must be at that version.
    step.writes = step.w.map(([key, version, i]) => {
      if (i >= segments.length || i < -1 || (i >= 0 && i < 2)) throw new StepFormatError(`a write names segment ${i}`);
      return { key, value: i < 0 ? null : segments[i], version };
    });
  }
  return step;
}
