// Step-through of the forward and backward passes: which node is current, what is revealed,
// play/pause on a timer. Knows nothing about the DOM; main.js renders its state.

/** Milliseconds between steps while playing. */
export const PLAY_INTERVAL_MS = 900;

/**
 * @typedef {{mode: "none"|"forward"|"backward", step: number, playing: boolean}} StepState
 */

/**
 * Create a stepper over the forward and backward orders of a graph.
 * @param {(s: StepState) => void} onChange  called after every change
 */
export function createStepper(onChange) {
  let forward = [];
  let backward = [];
  /** @type {StepState} */
  let state = { mode: "none", step: -1, playing: false };
  let timer = null;

  const length = () => (state.mode === "forward" ? forward.length : state.mode === "backward" ? backward.length : 0);
  const emit = () => onChange({ ...state });
  const stopTimer = () => {
    if (timer !== null) clearInterval(timer);
    timer = null;
  };

  const api = {
    /**
     * New graph: keep the mode and clamp the step (so editing a value keeps your place).
     * @param {string[]} forwardOrder
     * @param {string[]} backwardOrder
     * @param {Partial<StepState>} [restore]
     */
    load(forwardOrder, backwardOrder, restore = {}) {
      forward = forwardOrder;
      backward = backwardOrder;
      const mode = restore.mode ?? state.mode;
      const step = restore.step ?? state.step;
      stopTimer();
      const n = (mode === "forward" ? forward : backward).length;
      state = { mode, step: mode === "none" ? -1 : Math.min(Math.max(step, 0), n - 1), playing: false };
      emit();
    },
    /** @returns {StepState} */
    get: () => ({ ...state }),
    /** The node id of the current step, or null. */
    current() {
      if (state.mode === "forward") return forward[state.step] ?? null;
      if (state.mode === "backward") return backward[state.step] ?? null;
      return null;
    },
    /** Ids revealed so far in the current mode (the current one included). */
    revealed() {
      const list = state.mode === "forward" ? forward : state.mode === "backward" ? backward : [];
      return new Set(list.slice(0, state.step + 1));
    },
    /** Start a pass at its first step. @param {"forward"|"backward"} mode */
    start(mode) {
      stopTimer();
      state = { mode, step: 0, playing: false };
      emit();
    },
    next() {
      if (state.mode === "none") return api.start("forward");
      if (state.step < length() - 1) state.step++;
      else if (state.mode === "forward") {
        // the forward pass is done: carry on into the backward pass
        state = { mode: "backward", step: 0, playing: state.playing };
      } else {
        api.pause();
        return;
      }
      emit();
    },
    prev() {
      if (state.mode === "none") return;
      if (state.step > 0) state.step--;
      else if (state.mode === "backward") state = { mode: "forward", step: forward.length - 1, playing: state.playing };
      emit();
    },
    /** Leave step-through: everything revealed. */
    reset() {
      stopTimer();
      state = { mode: "none", step: -1, playing: false };
      emit();
    },
    play() {
      if (state.mode === "none") state = { mode: "forward", step: 0, playing: true };
      else if (state.mode === "backward" && state.step >= length() - 1) state.step = 0;
      state.playing = true;
      stopTimer();
      timer = setInterval(() => api.next(), PLAY_INTERVAL_MS);
      emit();
    },
    pause() {
      stopTimer();
      state.playing = false;
      emit();
    },
    toggle() {
      if (state.playing) api.pause();
      else api.play();
    },
  };
  return api;
}
