/**
 * effect-otp/xstate: xstate v5 machines hosted as supervised processes, with the same typed call
 * API as `StateMachine`. A subpath of its own, so that a program without it loads no xstate
 * (an optional peer dependency).
 *
 * @packageDocumentation
 */

/**
 * XState: an xstate v5 machine hosted as a `StateMachine` process, unchanged.
 *
 * @since 0.1.0
 */
export * as XState from "./XState.js"
