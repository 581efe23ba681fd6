%% The counter gen_server of the GenServer benchmarks: cast `inc`, call `get`, call `{add, By}`
%% (answers the new count). The Erlang side of bench/counter.ts.
-module(bench_counter).
-behaviour(gen_server).
-export([init/1, handle_call/3, handle_cast/2]).

init(Start) -> {ok, Start}.

handle_call(get, _From, Count) -> {reply, Count, Count};
handle_call({add, By}, _From, Count) -> {reply, Count + By, Count + By}.

handle_cast(inc, Count) -> {noreply, Count + 1}.
