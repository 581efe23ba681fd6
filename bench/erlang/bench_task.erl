%% task_async_await_per_second and task_async_await_batch_per_second for Erlang: a task as
%% Elixir's Task makes one underneath, with plain processes. The owner spawns a monitored
%% process that links itself to its owner and sends `{Tag, Result}`; the owner receives that
%% reply (or the 'DOWN') selectively, then drops the monitor with `[flush]`. Sequentially `N`
%% times, then in batches of 100 started at once and awaited in order.
-module(bench_task).
-export([run/1]).

-define(BATCH, 100).

%% In a fresh process: the one `erl -run` starts traps exits, so the normal exits of its linked
%% tasks would pile up in its mailbox as 'EXIT' messages and slow every selective receive.
run(N) ->
    {_, Mon} = spawn_monitor(fun() -> exit({result, measure(N)}) end),
    receive
        {'DOWN', Mon, process, _, {result, Figures}} -> Figures;
        {'DOWN', Mon, process, _, Reason} -> error(Reason)
    end.

measure(N) ->
    false = process_flag(trap_exit, false),
    T0 = erlang:monotonic_time(microsecond),
    Sum = sequential(0, N, 0),
    T1 = erlang:monotonic_time(microsecond),
    Batched = batches(0, N, 0),
    T2 = erlang:monotonic_time(microsecond),
    Expected = N * (N - 1) div 2,
    check("sum of the results", Sum, Expected),
    check("sum of the batched results", Batched, Expected),
    #{"task_async_await_per_second" => N / ((T1 - T0) / 1000000),
      "task_async_await_batch_per_second" => N / ((T2 - T1) / 1000000)}.

async(I) ->
    Owner = self(),
    Tag = make_ref(),
    {Pid, Mon} = spawn_monitor(fun() -> link(Owner), Owner ! {Tag, I} end),
    {Pid, Mon, Tag}.

await({_Pid, Mon, Tag}) ->
    receive
        {Tag, Result} ->
            erlang:demonitor(Mon, [flush]),
            Result;
        {'DOWN', Mon, process, _, Reason} ->
            exit(Reason)
    end.

sequential(N, N, Sum) -> Sum;
sequential(I, N, Sum) -> sequential(I + 1, N, Sum + await(async(I))).

batches(I, N, Sum) when I >= N -> Sum;
batches(I, N, Sum) ->
    Tasks = [async(J) || J <- lists:seq(I, min(I + ?BATCH, N) - 1)],
    batches(I + ?BATCH, N, lists:foldl(fun(Task, Acc) -> Acc + await(Task) end, Sum, Tasks)).

check(_, Value, Value) -> ok;
check(What, Actual, Expected) -> error({check, What, Actual, Expected}).
