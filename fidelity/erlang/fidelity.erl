%% The Erlang/OTP side of the differential harness (see fidelity/README.md).
%%
%% `erl -noshell -pa Dir -run fidelity main ScenarioFile Concurrency` reads the scenarios that
%% fidelity/main.ts wrote as Erlang terms (one `{scenario, Index, Kind, Scenario}` per line),
%% runs them concurrently (at most Concurrency at a time, each with its own collector and its
%% own name prefix, so real waiting overlaps), and prints one JSON line per scenario: the raw
%% events of each step and the tree after it. fidelity/normalize.ts turns them into the trace
%% that is compared with effect-otp's.
%%
%% Time here is real: the scenario generator keeps every duration far from the others (see
%% fidelity/model.ts), so the order of events cannot change with scheduling noise.
-module(fidelity).

-export([main/1, name/2, slow_ms/0, child_spec/3, start_sup/3, start_dyn/3]).

%% How long a slow worker's terminate takes (ms); fidelity/model.ts has the same figure.
slow_ms() -> 100.

-define(SCENARIO_TIMEOUT, 120000).
-define(SETTLE_LIMIT, 30000).

%% ---------------------------------------------------------------------------------------------
%% Main: run every scenario, print the results.

main([File | Rest]) ->
    logger:set_primary_config(level, none),
    Concurrency = case Rest of
        [C | _] -> list_to_integer(C);
        [] -> 64
    end,
    {ok, Scenarios} = file:consult(File),
    run_all(Scenarios, #{}, Concurrency),
    halt(0).

run_all([], Running, _) when map_size(Running) =:= 0 ->
    ok;
run_all([{scenario, Index, Kind, Scenario} | More], Running, Concurrency)
  when map_size(Running) < Concurrency ->
    {Pid, Ref} = spawn_monitor(fun() -> run_one(Index, Kind, Scenario) end),
    erlang:send_after(?SCENARIO_TIMEOUT, self(), {watchdog, Ref}),
    run_all(More, Running#{Ref => {Pid, Index}}, Concurrency);
run_all(Pending, Running, Concurrency) ->
    receive
        {'DOWN', Ref, process, _, Reason} ->
            case maps:find(Ref, Running) of
                {ok, {_, Index}} when Reason =/= normal ->
                    print(#{index => Index, error => iolist_to_binary(io_lib:format("~0p", [Reason]))});
                _ ->
                    ok
            end,
            run_all(Pending, maps:remove(Ref, Running), Concurrency);
        {watchdog, Ref} ->
            case maps:find(Ref, Running) of
                {ok, {Pid, Index}} ->
                    erlang:demonitor(Ref, [flush]),
                    exit(Pid, kill),
                    print(#{index => Index, error => <<"scenario timed out">>}),
                    run_all(Pending, maps:remove(Ref, Running), Concurrency);
                error ->
                    run_all(Pending, Running, Concurrency)
            end
    end.

run_one(Index, Kind, Scenario) ->
    Prefix = "f" ++ integer_to_list(Index) ++ "_",
    {ok, Col} = fidelity_collector:start(),
    Ctx = #{col => Col, prefix => Prefix, t0 => erlang:monotonic_time(millisecond)},
    {Steps, Cleanup} = case Kind of
        supervision -> run_supervision(Ctx, Scenario);
        genserver -> run_genserver(Ctx, Scenario);
        statem -> run_statem(Ctx, Scenario)
    end,
    print(#{index => Index, steps => Steps}),
    Cleanup(),
    exit(Col, kill).

print(Term) ->
    io:put_chars([json(Term), $\n]).

%% ---------------------------------------------------------------------------------------------
%% Supervision scenarios

run_supervision(Ctx = #{col := Col}, #{root := Root, steps := Steps, advance_ms := Advance}) ->
    Self = self(),
    %% The root's parent is a process of its own (trapping exits), so that exit signals the
    %% driver sends are never its parent's.
    Holder = spawn(fun() ->
        process_flag(trap_exit, true),
        Self ! {root, start_sup(Ctx, root, Root)},
        holder()
    end),
    RootResult = receive {root, R} -> R end,
    gen_server:cast(Col, {result, <<"start root">>, RootResult}),
    [dyn_start(Ctx, Label, <<"setup">>) || Label <- initial_dyn_children(root, Root)],
    settle_sup(Ctx, []),
    Step0 = snapshot_sup(Ctx, Root),
    Traced = [begin
                  Clients = sup_step(Ctx, Step, Advance),
                  settle_sup(Ctx, Clients),
                  snapshot_sup(Ctx, Root)
              end || Step <- Steps],
    {[Step0 | Traced], fun() -> exit(Holder, kill) end}.

holder() ->
    receive _ -> holder() end.

initial_dyn_children(Label, #{kind := sup, children := Children}) ->
    lists:append([initial_dyn_children(label(Label, Id), C) || C = #{id := Id} <- Children]);
initial_dyn_children(Label, #{kind := dyn, initial := N}) ->
    [label(Label, list_to_atom("c" ++ integer_to_list(I))) || I <- lists:seq(0, N - 1)];
initial_dyn_children(_, _) ->
    [].

label(Parent, Id) -> list_to_atom(atom_to_list(Parent) ++ "/" ++ atom_to_list(Id)).

parent_of(Label) ->
    S = atom_to_list(Label),
    list_to_atom(lists:sublist(S, string:rchr(S, $/) - 1)).

name(Prefix, Label) -> list_to_atom(Prefix ++ atom_to_list(Label)).

child_spec(Ctx, Parent, Spec = #{kind := worker, id := Id}) ->
    #{id => Id,
      start => {fidelity_worker, start_link, [Ctx, label(Parent, Id), Spec]},
      restart => maps:get(restart, Spec),
      shutdown => maps:get(shutdown, Spec),
      significant => maps:get(significant, Spec),
      type => worker};
child_spec(Ctx, Parent, Spec = #{kind := sup, id := Id}) ->
    #{id => Id,
      start => {fidelity, start_sup, [Ctx, label(Parent, Id), Spec]},
      restart => maps:get(restart, Spec),
      shutdown => infinity,
      significant => maps:get(significant, Spec),
      type => supervisor};
child_spec(Ctx, Parent, Spec = #{kind := dyn, id := Id}) ->
    #{id => Id,
      start => {fidelity, start_dyn, [Ctx, label(Parent, Id), Spec]},
      restart => maps:get(restart, Spec),
      shutdown => infinity,
      significant => maps:get(significant, Spec),
      type => supervisor}.

start_sup(Ctx, Label, Spec) ->
    reported(Ctx, Label, sup, supervisor:start_link(fidelity_sup, {static, Ctx, Label, Spec})).

start_dyn(Ctx, Label, Spec) ->
    reported(Ctx, Label, dyn, supervisor:start_link(fidelity_sup, {dyn, Ctx, Label, Spec})).

reported(#{col := Col}, Label, Kind, {ok, Pid}) ->
    ok = gen_server:call(Col, {started, Label, Pid, Kind}, infinity),
    {ok, Pid};
reported(_, _, _, Other) ->
    Other.

%% Runs one step; returns the client processes it spawned (management calls).
sup_step(Ctx = #{col := Col}, Step = #{op := Op, desc := Desc}, Advance) ->
    case Op of
        stop ->
            #{target := Target, how := How} = Step,
            with_live(Ctx, Target, Desc, fun(Pid) ->
                Ref = erlang:monitor(process, Pid),
                gen_server:cast(Pid, {stop, How}),
                receive {'DOWN', Ref, _, _, _} -> [] end
            end);
        kill ->
            #{target := Target} = Step,
            with_live(Ctx, Target, Desc, fun(Pid) -> kill(Ctx, Target, Pid), [] end);
        signal ->
            #{target := Target, reason := Reason} = Step,
            with_live(Ctx, Target, Desc, fun(Pid) -> exit(Pid, signal_reason(Reason, Target)), [] end);
        terminate_child ->
            #{sup := Sup, id := Id} = Step,
            [client(Ctx, Desc, fun() -> supervisor:terminate_child(last(Ctx, Sup), Id) end)];
        restart_child ->
            #{sup := Sup, id := Id} = Step,
            [client(Ctx, Desc, fun() -> supervisor:restart_child(last(Ctx, Sup), Id) end)];
        delete_child ->
            #{sup := Sup, id := Id} = Step,
            [client(Ctx, Desc, fun() -> supervisor:delete_child(last(Ctx, Sup), Id) end)];
        start_child ->
            #{sup := Sup, spec := Spec} = Step,
            ChildSpec = child_spec(Ctx, Sup, Spec),
            [client(Ctx, Desc, fun() -> supervisor:start_child(last(Ctx, Sup), ChildSpec) end)];
        dyn_start ->
            #{label := Label} = Step,
            [client(Ctx, Desc, fun() -> dyn_call_start(Ctx, Label) end)];
        dyn_terminate ->
            #{sup := Sup, label := Label} = Step,
            case gen_server:call(Col, {last, Label}, infinity) of
                undefined ->
                    gen_server:cast(Col, {noop, Desc}),
                    [];
                Pid ->
                    %% Deliberate difference dyn-terminate-dead-pid: a pid that is no longer
                    %% alive is not_found, as Elixir's DynamicSupervisor answers (OTP's
                    %% simple_one_for_one answers ok).
                    [client(Ctx, Desc, fun() ->
                        Alive = is_process_alive(Pid),
                        case supervisor:terminate_child(last(Ctx, Sup), Pid) of
                            ok when not Alive -> {error, not_found};
                            Result -> Result
                        end
                    end)]
            end;
        fail_starts ->
            #{target := Target, n := N, mode := Mode} = Step,
            gen_server:call(Col, {fail_starts, Target, N, Mode}, infinity),
            [];
        advance ->
            timer:sleep(Advance),
            []
    end.

dyn_start(Ctx = #{col := Col}, Label, Desc) ->
    gen_server:cast(Col, {result, Desc, dyn_call_start(Ctx, Label)}).

dyn_call_start(Ctx, Label) ->
    supervisor:start_child(last(Ctx, parent_of(Label)), [Label]).

signal_reason(normal, _) -> normal;
signal_reason(shutdown, _) -> shutdown;
signal_reason(boom, Target) -> {boom, Target}.

with_live(#{col := Col}, Label, Desc, F) ->
    case gen_server:call(Col, {live, Label}, infinity) of
        undefined ->
            gen_server:cast(Col, {noop, Desc}),
            [];
        Pid ->
            F(Pid)
    end.

%% The latest incarnation of a supervisor (a dead pid gives noproc, as in effect-otp).
last(#{col := Col}, Label) ->
    case gen_server:call(Col, {last, Label}, infinity) of
        undefined -> spawn(fun() -> ok end);
        Pid -> Pid
    end.

%% Kills a process. For a supervisor (other than the root), the parent is suspended until the
%% killed supervisor's whole subtree is gone, so that the parent restarts it only then: the
%% schedule of OTP without the already_started race, and what effect-otp does by design.
%% See fidelity/differences.ts, "killed-supervisor".
kill(#{col := Col}, Label, Pid) ->
    Live = gen_server:call(Col, live, infinity),
    Kind = hd([K || {L, _, K} <- Live, L =:= Label]),
    Parent = case {Kind, Label} of
        {worker, _} -> undefined;
        {_, root} -> undefined;
        _ -> gen_server:call(Col, {live, parent_of(Label)}, infinity)
    end,
    Prefix = atom_to_list(Label) ++ "/",
    Subtree = [P || {L, P, _} <- Live, lists:prefix(Prefix, atom_to_list(L))],
    Refs = [erlang:monitor(process, P) || P <- [Pid | Subtree]],
    Parent =/= undefined andalso sys:suspend(Parent, infinity),
    exit(Pid, kill),
    [receive {'DOWN', Ref, _, _, _} -> ok end || Ref <- Refs],
    Parent =/= undefined andalso sys:resume(Parent, infinity),
    ok.

%% A client process makes a call and reports what it got to the collector.
client(#{col := Col}, Desc, F) ->
    {Pid, _} = spawn_monitor(fun() -> gen_server:cast(Col, {result, Desc, caught(F)}) end),
    Pid.

%% What a call gave: {value, V}, or {exit, Reason} (without the call's MFA).
caught(F) ->
    try {value, F()}
    catch exit:{Reason, {M, Fun, A}} when is_atom(M), is_atom(Fun), is_list(A) -> {exit, Reason};
          exit:Reason -> {exit, Reason}
    end.

%% Quiet: every client has finished, then rounds of sys:get_state on every live process of the
%% tree (each answers after the messages already in its mailbox) until two rounds in a row see
%% the same events and the same live processes, none of them exiting.
settle_sup(Ctx, Clients) ->
    [receive {'DOWN', _, process, Pid, _} -> ok end || Pid <- Clients],
    settle_rounds(Ctx, none, erlang:monotonic_time(millisecond) + ?SETTLE_LIMIT).

settle_rounds(Ctx = #{col := Col}, Previous, Deadline) ->
    Live = lists:sort(gen_server:call(Col, live, infinity)),
    [catch sys:get_state(P, infinity) || {_, P, _} <- Live],
    Fingerprint = {gen_server:call(Col, count, infinity), Live},
    %% A process that is exiting has not been seen down by the collector yet.
    Dying = [P || {_, P, _} <- Live, not is_process_alive(P)],
    Now = erlang:monotonic_time(millisecond),
    if
        Fingerprint =:= Previous, Dying =:= [] -> ok;
        Now > Deadline -> gen_server:cast(Col, {noop, <<"settle did not converge">>});
        true -> timer:sleep(2), settle_rounds(Ctx, Fingerprint, Deadline)
    end.

snapshot_sup(Ctx = #{col := Col, t0 := T0}, Root) ->
    Events = gen_server:call(Col, drain, infinity),
    Pids = gen_server:call(Col, pids, infinity),
    Tree = case gen_server:call(Col, {live, root}, infinity) of
        undefined -> dead;
        Pid -> tree(Ctx, Pids, Pid, Root)
    end,
    #{events => Events, tree => Tree, time => erlang:monotonic_time(millisecond) - T0}.

%% A supervisor's children in start order (OTP lists the last started first), each as
%% {id, state, sub}: state is the child's Label#Gen, undefined or restarting; sub is the
%% subtree of a child supervisor.
tree(_Ctx, Pids, Pid, #{kind := dyn}) ->
    case catch supervisor:which_children(Pid) of
        L when is_list(L) -> #{dyn => [state(Pids, P) || {_, P, _, _} <- L]};
        _ -> <<"?">>
    end;
tree(Ctx, Pids, Pid, #{kind := sup, children := Specs}) ->
    case catch supervisor:which_children(Pid) of
        L when is_list(L) ->
            [begin
                 Spec = case [S || S = #{id := I} <- Specs, I =:= Id] of
                     [S] -> S;
                     [] -> #{kind => worker}
                 end,
                 %% The child's own type too: a step may have started a worker under the id
                 %% of a deleted supervisor, and which_children would crash it.
                 Sub = case {is_pid(P), Type, Spec} of
                     {true, supervisor, #{kind := K}} when K =:= sup; K =:= dyn -> tree(Ctx, Pids, P, Spec);
                     _ -> null
                 end,
                 #{id => Id, state => state(Pids, P), sub => Sub}
             end || {Id, P, Type, _} <- lists:reverse(L)];
        _ ->
            <<"?">>
    end.

state(Pids, P) when is_pid(P) ->
    case maps:find(P, Pids) of
        {ok, {Label, Gen, _}} -> iolist_to_binary([atom_to_list(Label), "#", integer_to_list(Gen)]);
        error -> <<"?">>
    end;
state(_, P) ->
    P.

%% ---------------------------------------------------------------------------------------------
%% GenServer scenarios

run_genserver(Ctx = #{col := Col}, Scenario) ->
    #{trap := Trap, init := Init, on_timeout := OnTimeout} = Scenario,
    Args = {Col, Init, OnTimeout, Trap},
    run_server(Ctx, Scenario,
               fun({local, Name}) -> gen_server:start({local, Name}, fidelity_server, Args, []);
                  (anonymous) -> gen_server:start(fidelity_server, Args, [])
               end,
               fun gs_step/4).

%% A GenServer or gen_statem scenario: start the server (named or not), then each step, the
%% server's callbacks settled and snapshotted after it. `Start` starts it, `Step` runs a step.
run_server(Ctx = #{col := Col, prefix := Prefix}, Scenario, Start, Step) ->
    #{named := Named, steps := Steps, wait_ms := Wait} = Scenario,
    Name = name(Prefix, server),
    Result = case Named of
        true -> Start({local, Name});
        false -> Start(anonymous)
    end,
    gen_server:cast(Col, {result, <<"start">>, Result}),
    Target = case {Named, Result} of
        {true, _} -> Name;
        {false, {ok, Pid}} -> Pid;
        {false, _} -> spawn(fun() -> ok end)
    end,
    settle_gs(Ctx, []),
    Step0 = snapshot_gs(Ctx),
    {Traced, _} = lists:mapfoldl(fun(S, Clients0) ->
        Clients = Step(Ctx, Target, S, Wait) ++ Clients0,
        settle_gs(Ctx, Clients),
        {snapshot_gs(Ctx), Clients}
    end, [], Steps),
    Cleanup = fun() ->
        case gen_server:call(Col, {live, server}, infinity) of
            undefined -> ok;
            Pid2 -> exit(Pid2, kill)
        end
    end,
    {[Step0 | Traced], Cleanup}.

gs_step(Ctx = #{col := Col}, Target, Step = #{op := Op, desc := Desc}, Wait) ->
    case Op of
        call ->
            #{id := Id, action := Action, timeout := Timeout} = Step,
            [client(Ctx, Desc, fun() -> gen_server:call(Target, {req, Id, Action}, Timeout) end)];
        unknown_call ->
            #{id := Id, tag := Tag} = Step,
            [client(Ctx, Desc, fun() -> gen_server:call(Target, {unknown, Tag, Id}, infinity) end)];
        cast ->
            #{id := Id, action := Action} = Step,
            gen_server:cast(Target, {cast, Id, Action}),
            [];
        info ->
            #{id := Id, action := Action} = Step,
            catch (Target ! {info, Id, Action}),
            [];
        wait ->
            timer:sleep(Wait),
            [];
        stop ->
            %% In the driver itself: proc_lib:stop works through a helper process that the
            %% settle could not see.
            #{reason := Reason} = Step,
            gen_server:cast(Col, {result, Desc, caught(fun() -> gen_server:stop(Target, signal_reason_gs(Reason), infinity) end)}),
            [];
        kill ->
            with_live(Ctx, server, Desc, fun(Pid) -> exit(Pid, kill), [] end);
        signal ->
            #{reason := Reason} = Step,
            with_live(Ctx, server, Desc, fun(Pid) -> exit(Pid, signal_reason_gs(Reason)), [] end)
    end.

signal_reason_gs(normal) -> normal;
signal_reason_gs(shutdown) -> shutdown;
signal_reason_gs(shutdown_x) -> {shutdown, driver};
signal_reason_gs(boom) -> {boom, driver}.

%% Quiet: the server, the collector and every client are waiting in a receive with an empty
%% mailbox (or gone, and seen down by the collector), twice in a row with the same number of
%% events.
settle_gs(Ctx, Clients) ->
    settle_gs(Ctx, Clients, none, erlang:monotonic_time(millisecond) + ?SETTLE_LIMIT).

settle_gs(Ctx = #{col := Col}, Clients, Previous, Deadline) ->
    Server = gen_server:call(Col, {live, server}, infinity),
    Procs = [P || P <- [Col, Server | Clients], is_pid(P)],
    Infos = [erlang:process_info(P, [status, message_queue_len]) || P <- Procs],
    Busy = lists:any(fun(undefined) -> false;
                        ([{status, waiting}, {message_queue_len, 0}]) -> false;
                        (_) -> true
                     end, Infos)
        %% The server is exiting, and the collector has not seen it down yet.
        orelse (is_pid(Server) andalso not is_process_alive(Server)),
    Fingerprint = {gen_server:call(Col, count, infinity), Infos},
    Now = erlang:monotonic_time(millisecond),
    if
        not Busy andalso Fingerprint =:= Previous -> ok;
        Now > Deadline -> gen_server:cast(Col, {noop, <<"settle did not converge">>});
        true -> timer:sleep(2), settle_gs(Ctx, Clients, Fingerprint, Deadline)
    end.

snapshot_gs(#{col := Col, t0 := T0}) ->
    Events = gen_server:call(Col, drain, infinity),
    Alive = gen_server:call(Col, {live, server}, infinity) =/= undefined,
    #{events => Events, tree => Alive, time => erlang:monotonic_time(millisecond) - T0}.

%% ---------------------------------------------------------------------------------------------
%% StateMachine scenarios: the scripted gen_statem (fidelity_statem.erl), settled and traced as
%% the GenServer scenarios' server.

run_statem(Ctx = #{col := Col}, Scenario) ->
    Args = {Col, Scenario},
    run_server(Ctx, Scenario,
               fun({local, Name}) -> gen_statem:start({local, Name}, fidelity_statem, Args, []);
                  (anonymous) -> gen_statem:start(fidelity_statem, Args, [])
               end,
               fun statem_step/4).

statem_step(Ctx = #{col := Col}, Target, Step = #{op := Op, desc := Desc}, Wait) ->
    case Op of
        call ->
            #{id := Id, s := Script} = Step,
            [client(Ctx, Desc, fun() -> gen_statem:call(Target, {req, Id, Script}, infinity) end)];
        unknown_call ->
            #{id := Id} = Step,
            [client(Ctx, Desc, fun() -> gen_statem:call(Target, {unknown, Id}, infinity) end)];
        cast ->
            #{id := Id, s := Script} = Step,
            gen_statem:cast(Target, {cast, Id, Script}),
            [];
        info ->
            #{id := Id, s := Script} = Step,
            catch (Target ! {info, Id, Script}),
            [];
        wait ->
            timer:sleep(Wait),
            [];
        stop ->
            #{reason := Reason} = Step,
            gen_server:cast(Col, {result, Desc, caught(fun() -> gen_statem:stop(Target, signal_reason_gs(Reason), infinity) end)}),
            [];
        kill ->
            with_live(Ctx, server, Desc, fun(Pid) -> exit(Pid, kill), [] end)
    end.

%% ---------------------------------------------------------------------------------------------
%% A small JSON encoder: maps (atom or binary keys), lists, binaries and atoms (as strings),
%% integers, true / false / null.

json(true) -> "true";
json(false) -> "false";
json(null) -> "null";
json(I) when is_integer(I) -> integer_to_list(I);
json(A) when is_atom(A) -> string(atom_to_list(A));
json(B) when is_binary(B) -> string(unicode:characters_to_list(B));
json(L) when is_list(L) -> [$[, join([json(X) || X <- L]), $]];
json(M) when is_map(M) ->
    [${, join([[string(key(K)), $:, json(V)] || {K, V} <- lists:sort(maps:to_list(M))]), $}].

key(K) when is_atom(K) -> atom_to_list(K);
key(K) when is_binary(K) -> unicode:characters_to_list(K).

join([]) -> [];
join([X | Xs]) -> [X | [[$,, Y] || Y <- Xs]].

string(S) -> [$", [escape(C) || C <- S], $"].

escape($") -> "\\\"";
escape($\\) -> "\\\\";
escape($\n) -> "\\n";
escape(C) when C < 32 -> io_lib:format("\\u~4.16.0b", [C]);
escape(C) -> C.
