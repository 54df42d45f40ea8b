import { FreshetError } from '../errors/index.ts'
import { STORE_TRANSITIONS, type StoreState } from './types.ts'

/** A store's lifecycle state machine (`STORE_TRANSITIONS`); illegal calls throw naming the state. */
export class StoreLifecycle {
  readonly #store: string
  #state: StoreState = 'open'

  constructor(store: string) {
    this.#store = store
  }

  get state(): StoreState {
    return this.#state
  }

  /** Throws `FRESHET_INVALID_STATE` unless the store is open. */
  assertOpen(operation: string): void {
    if (this.#state !== 'open') {
      throw new FreshetError(
        'INVALID_STATE',
        `state store "${this.#store}": cannot ${operation} in state ${this.#state.toUpperCase()}`,
        { details: { store: this.#store, state: this.#state, operation } },
      )
    }
  }

  transition(to: StoreState): void {
    if (!STORE_TRANSITIONS[this.#state].includes(to)) {
      throw new FreshetError(
        'INVALID_STATE',
        `state store "${this.#store}": illegal transition ${this.#state.toUpperCase()} -> ${to.toUpperCase()}`,
        { details: { store: this.#store, state: this.#state, to } },
      )
    }
    this.#state = to
  }
}
