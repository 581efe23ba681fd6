%% The three-state machine of the StateMachine benchmarks, a gen_statem in state_functions mode:
%% states a -> b -> c -> a, each cast `step` moves to the next state and counts; the call `get`
%% answers the count, in any state. The Erlang side of bench/statemachine.ts.
-module(bench_statem).
-behaviour(gen_statem).
-export([callback_mode/0, init/1, a/3, b/3, c/3]).

callback_mode() -> state_functions.

init(Start) -> {ok, a, Start}.

a(cast, step, Count) -> {next_state, b, Count + 1};
a(Type, Event, Count) -> any_state(Type, Event, Count).

b(cast, step, Count) -> {next_state, c, Count + 1};
b(Type, Event, Count) -> any_state(Type, Event, Count).

c(cast, step, Count) -> {next_state, a, Count + 1};
c(Type, Event, Count) -> any_state(Type, Event, Count).

any_state({call, From}, get, Count) -> {keep_state_and_data, [{reply, From, Count}]}.
