%% The Erlang/OTP side of `npm run bench`: the same benchmarks as the TypeScript case files, with
%% the same sizes, warm-up and repetitions, printing the same one-line JSON array of records
%% (system "erlang").
%%
%% The runner (bench/run.ts) compiles bench/erlang/*.erl with erlc into a temporary directory
%% and runs one emulator per benchmark, with one scheduler to match Node's one thread:
%%
%%   erl +S 1 +P 2000000 -noshell -pa <ebin> -run bench main <benchmark> full|quick
%%
%% (+P raises the process limit from 262,144 so that 1M processes fit; it changes no speed.)
%% Each run checks its result (sum, count, restarts, entries) and fails rather than post a
%% figure for lost work, as the TypeScript cases do.
-module(bench).
-export([main/1]).

-define(MILLION, 1000000).
-define(RING_SIZE, 10000).

main([Benchmark, Mode]) ->
    Quick = Mode =:= "quick",
    try
        Records = run(Benchmark, Quick),
        io:put_chars([json(Records), $\n]),
        erlang:halt(0)
    catch
        Class:Reason:Stack ->
            io:format(standard_error, "bench ~s (erlang) failed: ~p:~p~n~p~n", [Benchmark, Class, Reason, Stack]),
            erlang:halt(1)
    end.

%% ----------------------------------------------------------------------------
%% The cases: name, unit, sizes {full, quick}, repetitions {full, quick}, measure
%% ----------------------------------------------------------------------------

run("spawn_1m_seconds", Q) ->
    one("spawn_1m_seconds", "s", size(Q, ?MILLION, 20000), reps(Q, 1, 1), fun spawn_bench/1);
run("idle_process_bytes", Q) ->
    one("idle_process_bytes", "B", size(Q, 200000, 10000), reps(Q, 1, 1), fun idle_bytes/1);
run("send_throughput", Q) ->
    one("send_throughput", "msg/s", size(Q, 1000000, 100000), reps(Q, 3, 1), fun send_bench/1);
run("ping_pong_round_trips", Q) ->
    one("ping_pong_round_trips", "rt/s", size(Q, 1000000, 50000), reps(Q, 3, 1), fun ping_pong/1);
run("genserver_cast_throughput", Q) ->
    one("genserver_cast_throughput", "msg/s", size(Q, 1000000, 100000), reps(Q, 3, 1), fun cast_bench/1);
run("genserver_call_round_trips", Q) ->
    one("genserver_call_round_trips", "calls/s", size(Q, 200000, 20000), reps(Q, 3, 1), fun call_bench/1);
run("ring_hops_per_second", Q) ->
    one("ring_hops_per_second", "hops/s", size(Q, 100, 10), reps(Q, 3, 1), fun ring/1);
run("supervisor_restarts_per_second", Q) ->
    one("supervisor_restarts_per_second", "restarts/s", size(Q, 100000, 5000), reps(Q, 3, 1), fun restarts/1);
run("registry_lookups_per_second", Q) ->
    many([{"registry_lookups_per_second", "lookups/s"}, {"registry_registrations_per_second", "registrations/s"}],
         size(Q, 200000, 20000), reps(Q, 3, 1), fun registry/1);
run("statemachine_events_per_second", Q) ->
    one("statemachine_events_per_second", "events/s", size(Q, 1000000, 100000), reps(Q, 3, 1), fun statem_events/1);
run("statemachine_idle_bytes", Q) ->
    one("statemachine_idle_bytes", "B", size(Q, 100000, 10000), reps(Q, 1, 1), fun statem_idle_bytes/1);
run("agent_update_per_second", Q) ->
    one("agent_update_per_second", "updates/s", size(Q, 200000, 20000), reps(Q, 3, 1), fun agent_update/1);
run("task_async_await_per_second", Q) ->
    many([{"task_async_await_per_second", "tasks/s"}, {"task_async_await_batch_per_second", "tasks/s"}],
         size(Q, 200000, 20000), reps(Q, 3, 1), fun bench_task:run/1);
run(Other, _) ->
    error({unknown_benchmark, Other}).

size(true, _, Quick) -> Quick;
size(false, Full, _) -> Full.
reps(Quick, Full, QuickReps) -> size(Quick, Full, QuickReps).

%% Warm-up at 10% of the size, then `Reps` measured runs; the median is reported.
one(Name, Unit, N, Reps, Measure) ->
    many([{Name, Unit}], N, Reps, fun(Size) -> #{Name => Measure(Size)} end).

many(Benchmarks, N, Reps, Measure) ->
    _ = Measure(max(1, round(N / 10))),
    Runs = [begin erlang:garbage_collect(), Measure(N) end || _ <- lists:seq(1, Reps)],
    [{Name, median([maps:get(Name, Run) || Run <- Runs]), Unit} || {Name, Unit} <- Benchmarks].

median(Values) ->
    Sorted = lists:sort(Values),
    Len = length(Sorted),
    case Len rem 2 of
        1 -> lists:nth(Len div 2 + 1, Sorted);
        0 -> (lists:nth(Len div 2, Sorted) + lists:nth(Len div 2 + 1, Sorted)) / 2
    end.

now_us() -> erlang:monotonic_time(microsecond).

per_second(Count, Us) -> Count / (max(Us, 1) / 1.0e6).

check(What, Actual, Expected) ->
    case Actual =:= Expected of
        true -> ok;
        false -> error({check_failed, What, {expected, Expected}, {got, Actual}})
    end.

%% ----------------------------------------------------------------------------
%% spawn_1m_seconds, idle_process_bytes: idle processes parked in receive
%% ----------------------------------------------------------------------------

idle() -> receive _ -> ok end.

spawn_n(0, Acc) -> Acc;
spawn_n(I, Acc) -> spawn_n(I - 1, [spawn(fun idle/0) | Acc]).

%% Processes run in spawn order on the one scheduler: once the last is waiting, all are.
wait_parked(Pid) ->
    case erlang:process_info(Pid, status) of
        {status, waiting} -> ok;
        _ -> erlang:yield(), wait_parked(Pid)
    end.

stop_all(Pids) ->
    lists:foreach(fun(P) -> exit(P, kill) end, Pids),
    wait_gone(lists:last(Pids)).

wait_gone(Pid) ->
    case erlang:is_process_alive(Pid) of
        true -> erlang:yield(), wait_gone(Pid);
        false -> ok
    end.

spawn_bench(N) ->
    T0 = now_us(),
    Pids = spawn_n(N, []),
    wait_parked(hd(Pids)),
    Us = now_us() - T0,
    stop_all(Pids),
    Us / 1.0e6 * (?MILLION / N).

%% erlang:memory(total) before and after spawning `n` (after a collection of this process),
%% less the list of pids this process holds, divided by `n`.
idle_bytes(N) ->
    erlang:garbage_collect(),
    Before = erlang:memory(total),
    Pids = spawn_n(N, []),
    wait_parked(hd(Pids)),
    erlang:garbage_collect(),
    After = erlang:memory(total),
    List = erts_debug:flat_size(Pids) * erlang:system_info(wordsize),
    check("last process parked", erlang:process_info(hd(Pids), status), {status, waiting}),
    stop_all(Pids),
    (After - Before - List) / N.

%% ----------------------------------------------------------------------------
%% send_throughput: one sender, one receiver summing, `Pid ! I` and `receive`
%% ----------------------------------------------------------------------------

send_bench(N) ->
    Self = self(),
    Receiver = spawn(fun() -> sum_loop(N, 0, Self) end),
    T0 = now_us(),
    send_n(Receiver, 0, N),
    Sum = receive {sum, S} -> S end,
    Us = now_us() - T0,
    check("sum received", Sum, N * (N - 1) div 2),
    per_second(N, Us).

send_n(_, N, N) -> ok;
send_n(Pid, I, N) -> Pid ! I, send_n(Pid, I + 1, N).

sum_loop(0, Sum, Reply) -> Reply ! {sum, Sum};
sum_loop(I, Sum, Reply) -> receive X -> sum_loop(I - 1, Sum + X, Reply) end.

%% ----------------------------------------------------------------------------
%% ping_pong_round_trips: the ping is the pinger's pid, the pong an atom
%% ----------------------------------------------------------------------------

ping_pong(N) ->
    Ponger = spawn(fun pong_loop/0),
    T0 = now_us(),
    Pongs = ping_loop(Ponger, N, 0),
    Us = now_us() - T0,
    exit(Ponger, kill),
    check("pongs", Pongs, N),
    per_second(N, Us).

pong_loop() ->
    receive From -> From ! pong, pong_loop() end.

ping_loop(_, 0, Pongs) -> Pongs;
ping_loop(Ponger, I, Pongs) ->
    Ponger ! self(),
    receive pong -> ping_loop(Ponger, I - 1, Pongs + 1) end.

%% ----------------------------------------------------------------------------
%% genserver_cast_throughput, genserver_call_round_trips: the bench_counter gen_server
%% ----------------------------------------------------------------------------

cast_bench(N) ->
    {ok, Counter} = gen_server:start(bench_counter, 0, []),
    T0 = now_us(),
    cast_n(Counter, N),
    Count = gen_server:call(Counter, get, infinity),
    Us = now_us() - T0,
    gen_server:stop(Counter),
    check("count", Count, N),
    per_second(N, Us).

cast_n(_, 0) -> ok;
cast_n(Counter, I) -> gen_server:cast(Counter, inc), cast_n(Counter, I - 1).

call_bench(N) ->
    {ok, Counter} = gen_server:start(bench_counter, 0, []),
    T0 = now_us(),
    Last = call_n(Counter, N, 0),
    Us = now_us() - T0,
    gen_server:stop(Counter),
    check("last reply", Last, N),
    per_second(N, Us).

%% gen_server:call/2: the default 5 s timeout, as effect-otp's GenServer.call.
call_n(_, 0, Last) -> Last;
call_n(Counter, I, _) -> call_n(Counter, I - 1, gen_server:call(Counter, {add, 1})).

%% ----------------------------------------------------------------------------
%% ring_hops_per_second: 10k processes in a ring, a token (the hops left) passed `Rounds` times
%% ----------------------------------------------------------------------------

ring(Rounds) ->
    Self = self(),
    Last = spawn(fun() -> receive {next, Next} -> ring_loop(Next, Self) end end),
    First = lists:foldl(fun(_, Next) -> spawn(fun() -> ring_loop(Next, Self) end) end, Last, lists:seq(2, ?RING_SIZE)),
    Last ! {next, First},
    Hops = ?RING_SIZE * Rounds,
    T0 = now_us(),
    First ! Hops,
    Holder = receive {ring_done, P} -> P end,
    Us = now_us() - T0,
    First ! stop,
    check("token back at the first process", Holder, First),
    per_second(Hops, Us).

ring_loop(Next, Driver) ->
    receive
        0 -> Driver ! {ring_done, self()}, ring_loop(Next, Driver);
        stop -> Next ! stop;
        Hops -> Next ! Hops - 1, ring_loop(Next, Driver)
    end.

%% ----------------------------------------------------------------------------
%% supervisor_restarts_per_second: see bench_sup; reports counted by bench_log
%% ----------------------------------------------------------------------------

restarts(N) ->
    Reports = bench_log:install(),
    {ok, Sup} = supervisor:start_link(bench_sup, self()),
    unlink(Sup),
    First = receive {started, P0} -> P0 end,
    T0 = now_us(),
    {Restarts, LastPid} = crash_loop(First, N, 0),
    Us = now_us() - T0,
    check("restarts", Restarts, N),
    check("supervisor reports", bench_log:count(Reports), N),
    [{worker, Running, worker, _}] = supervisor:which_children(Sup),
    check("running child is the last started", Running, LastPid),
    Ref = monitor(process, Sup),
    exit(Sup, shutdown),
    receive {'DOWN', Ref, process, Sup, _} -> ok end,
    bench_log:uninstall(),
    per_second(N, Us).

crash_loop(Pid, 0, Restarts) -> {Restarts, Pid};
crash_loop(Pid, I, Restarts) ->
    Pid ! crash,
    receive
        {started, Pid} -> crash_loop(Pid, I - 1, Restarts);
        {started, Next} -> crash_loop(Next, I - 1, Restarts + 1)
    end.

%% ----------------------------------------------------------------------------
%% registry_lookups_per_second, registry_registrations_per_second
%%
%% OTP has no key registry (register/2 gives one atom to one process); registries in Erlang and
%% Elixir (Elixir's Registry, gproc, syn) are ETS tables. As Elixir's unique Registry does, a
%% registration is ets:insert_new of {Key, Pid, Value} in the key table plus an {Pid, Key} entry
%% in the owner table (for cleanup when the owner exits); a lookup is ets:lookup of the key.
%% ----------------------------------------------------------------------------

-define(LOOKUP_ROUNDS, 5).

registry(N) ->
    Keys = [iolist_to_binary(["key-", integer_to_list(I)]) || I <- lists:seq(0, N - 1)],
    KeyTable = ets:new(bench_registry_keys, [set, public, {read_concurrency, true}]),
    Owners = ets:new(bench_registry_owners, [duplicate_bag, public]),
    Self = self(),
    T0 = now_us(),
    register_all(KeyTable, Owners, Self, Keys, 0),
    T1 = now_us(),
    Found = lookup_rounds(KeyTable, Keys, ?LOOKUP_ROUNDS, 0),
    T2 = now_us(),
    ets:delete(KeyTable),
    ets:delete(Owners),
    check("entries found", Found, N * ?LOOKUP_ROUNDS),
    #{"registry_registrations_per_second" => per_second(N, T1 - T0),
      "registry_lookups_per_second" => per_second(N * ?LOOKUP_ROUNDS, T2 - T1)}.

register_all(_, _, _, [], _) -> ok;
register_all(KeyTable, Owners, Self, [Key | Keys], I) ->
    true = ets:insert_new(KeyTable, {Key, Self, I}),
    true = ets:insert(Owners, {Self, Key}),
    register_all(KeyTable, Owners, Self, Keys, I + 1).

lookup_rounds(_, _, 0, Found) -> Found;
lookup_rounds(KeyTable, Keys, Round, Found) ->
    lookup_rounds(KeyTable, Keys, Round - 1, lookup_all(KeyTable, Keys, Found)).

lookup_all(_, [], Found) -> Found;
lookup_all(KeyTable, [Key | Keys], Found) ->
    lookup_all(KeyTable, Keys, Found + length(ets:lookup(KeyTable, Key))).

%% ----------------------------------------------------------------------------
%% statemachine_events_per_second, statemachine_idle_bytes: the bench_statem gen_statem
%% ----------------------------------------------------------------------------

statem_events(N) ->
    {ok, Machine} = gen_statem:start(bench_statem, 0, []),
    T0 = now_us(),
    step_n(Machine, N),
    Count = gen_statem:call(Machine, get, infinity),
    Us = now_us() - T0,
    {State, _} = sys:get_state(Machine),
    gen_statem:stop(Machine),
    check("count", Count, N),
    check("state after the steps", State, lists:nth(N rem 3 + 1, [a, b, c])),
    per_second(N, Us).

step_n(_, 0) -> ok;
step_n(Machine, I) -> gen_statem:cast(Machine, step), step_n(Machine, I - 1).

%% As idle_bytes, with `n` idle machines started one by one by gen_statem:start/3 (each start
%% waits for the machine's init): erlang:memory(total) before and after, less the list of pids.
statem_idle_bytes(N) ->
    erlang:garbage_collect(),
    Before = erlang:memory(total),
    Pids = start_statems(N, []),
    erlang:garbage_collect(),
    After = erlang:memory(total),
    List = erts_debug:flat_size(Pids) * erlang:system_info(wordsize),
    check("last machine waiting", erlang:process_info(hd(Pids), status), {status, waiting}),
    stop_all(Pids),
    (After - Before - List) / N.

start_statems(0, Acc) -> Acc;
start_statems(I, Acc) ->
    {ok, Pid} = gen_statem:start(bench_statem, 0, []),
    start_statems(I - 1, [Pid | Acc]).

%% ----------------------------------------------------------------------------
%% agent_update_per_second: a plain process holding state, updated by functions it is sent
%% ----------------------------------------------------------------------------

%% As Elixir's Agent does on gen_server underneath, with plain processes: the state lives in the
%% receive loop; an update carries the function, the caller and a fresh reference, and is
%% answered with `{Ref, ok}` once the function ran; a get answers `{Ref, F(State)}`.
agent_update(N) ->
    Agent = spawn(fun() -> agent_loop(0) end),
    Increment = fun(Count) -> Count + 1 end,
    T0 = now_us(),
    update_n(Agent, Increment, N),
    Us = now_us() - T0,
    Count = agent_request(Agent, get, fun(Count) -> Count end),
    Agent ! stop,
    check("count", Count, N),
    per_second(N, Us).

update_n(_, _, 0) -> ok;
update_n(Agent, F, I) -> ok = agent_request(Agent, update, F), update_n(Agent, F, I - 1).

agent_request(Agent, Kind, F) ->
    Ref = make_ref(),
    Agent ! {Kind, F, self(), Ref},
    receive {Ref, Reply} -> Reply end.

agent_loop(State) ->
    receive
        {update, F, From, Ref} ->
            Next = F(State),
            From ! {Ref, ok},
            agent_loop(Next);
        {get, F, From, Ref} ->
            From ! {Ref, F(State)},
            agent_loop(State);
        stop ->
            ok
    end.

%% ----------------------------------------------------------------------------
%% The records line
%% ----------------------------------------------------------------------------

json(Records) ->
    ["[", lists:join(",", [record(Name, Value, Unit) || {Name, Value, Unit} <- Records]), "]"].

record(Name, Value, Unit) ->
    io_lib:format("{\"benchmark\":\"~s\",\"system\":\"erlang\",\"value\":~s,\"unit\":\"~s\"}",
                  [Name, float_to_list(float(Value), [short]), Unit]).
