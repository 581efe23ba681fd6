/**
 * effect-otp/observer: a live web page of the program's nodes, applications and processes
 * (Erlang's `observer`). A subpath of its own, so that a program without it loads no HTTP code.
 *
 * @packageDocumentation
 */

/**
 * The observer: a live web page of the program's nodes, applications and processes.
 *
 * @since 0.1.0
 */
export * as Observer from "./Observer.js"
