%% The collector of one scenario: every process of the scenario reports to it (starts,
%% terminate calls, results of calls made by client processes, callback traces), and it monitors
%% every process it has seen start, so that every exit is recorded with its reason. It also
%% decides whether a worker's start fails (the scenario's `fail_starts` steps).
%%
%% Events are kept in arrival order; the driver drains them after each step. Pids in reported
%% terms are replaced by `Label#Gen` when the collector knows them.
-module(fidelity_collector).
-behaviour(gen_server).

-export([start/0, tj/2]).
-export([init/1, handle_call/3, handle_cast/2, handle_info/2]).

-record(st, {
    events = [] :: list(),
    count = 0 :: non_neg_integer(),
    %% Pid => {Label, Gen, Kind}, for every process ever started (never forgotten).
    by_pid = #{} :: map(),
    %% Label => Pid of its live incarnation.
    live = #{} :: map(),
    %% Label => Pid of its latest incarnation, alive or not.
    last = #{} :: map(),
    gens = #{} :: map(),
    %% Label => [fail | ignore], the outcomes of its next starts.
    fails = #{} :: map()
}).

start() -> gen_server:start(?MODULE, [], []).

init([]) -> {ok, #st{}}.

handle_call({started, Label, Pid, Kind}, _From, S = #st{fails = Fails}) ->
    case {Kind, maps:get(Label, Fails, [])} of
        {worker, [Mode | More]} ->
            S1 = add(#{e => startfail, label => Label, mode => Mode}, S),
            {reply, Mode, S1#st{fails = Fails#{Label => More}}};
        _ ->
            Gen = maps:get(Label, S#st.gens, 0) + 1,
            erlang:monitor(process, Pid),
            S1 = S#st{gens = (S#st.gens)#{Label => Gen},
                      by_pid = (S#st.by_pid)#{Pid => {Label, Gen, Kind}},
                      live = (S#st.live)#{Label => Pid},
                      last = (S#st.last)#{Label => Pid}},
            {reply, ok, add(#{e => start, who => who(Label, Gen)}, S1)}
    end;
handle_call({fail_starts, Label, N, Mode}, _From, S) ->
    {reply, ok, S#st{fails = (S#st.fails)#{Label => lists:duplicate(N, Mode)}}};
handle_call(drain, _From, S) ->
    {reply, lists:reverse(S#st.events), S#st{events = []}};
handle_call(count, _From, S) ->
    {reply, S#st.count, S};
handle_call(live, _From, S = #st{by_pid = ByPid}) ->
    {reply, [{L, P, element(3, maps:get(P, ByPid))} || {L, P} <- maps:to_list(S#st.live)], S};
handle_call({live, Label}, _From, S) ->
    {reply, maps:get(Label, S#st.live, undefined), S};
handle_call({last, Label}, _From, S) ->
    {reply, maps:get(Label, S#st.last, undefined), S};
handle_call(pids, _From, S) ->
    {reply, S#st.by_pid, S}.

handle_cast({terminate, Pid, Reason}, S) ->
    {noreply, add(#{e => terminate, who => who_pid(Pid, S), reason => tj(Reason, S#st.by_pid)}, S)};
handle_cast({result, Op, Value}, S) ->
    {noreply, add(#{e => result, op => Op, value => tj(Value, S#st.by_pid)}, S)};
handle_cast({noop, Op}, S) ->
    {noreply, add(#{e => noop, op => Op}, S)}.

handle_info({'DOWN', _Ref, process, Pid, Reason}, S = #st{by_pid = ByPid, live = Live}) ->
    case maps:find(Pid, ByPid) of
        {ok, {Label, Gen, _}} ->
            Live1 = case maps:find(Label, Live) of
                {ok, Pid} -> maps:remove(Label, Live);
                _ -> Live
            end,
            Event = #{e => exit, who => who(Label, Gen), reason => tj(Reason, ByPid)},
            {noreply, add(Event, S#st{live = Live1})};
        error ->
            {noreply, S}
    end;
handle_info({cb, Seq, Name, Arg}, S) ->
    {noreply, add(#{e => cb, seq => Seq, name => Name, arg => tj(Arg, S#st.by_pid)}, S)};
handle_info(_Other, S) ->
    {noreply, S}.

add(Event, S = #st{events = Events, count = Count}) ->
    S#st{events = [Event | Events], count = Count + 1}.

who(Label, Gen) ->
    iolist_to_binary([atom_to_list(Label), "#", integer_to_list(Gen)]).

who_pid(Pid, #st{by_pid = ByPid}) ->
    case maps:find(Pid, ByPid) of
        {ok, {Label, Gen, _}} -> who(Label, Gen);
        error -> <<"?">>
    end.

%% A term as JSON-able data: atoms as strings, tuples as arrays, lists as {list: [...]},
%% binaries as {bin: ...}, pids as {pid: "Label#Gen"}; stack traces are dropped.
tj(Term, ByPid) -> tj1(strip(Term), ByPid).

tj1(A, _) when is_atom(A) -> A;
tj1(I, _) when is_integer(I) -> I;
tj1(B, _) when is_binary(B) -> #{bin => B};
tj1(P, ByPid) when is_pid(P) ->
    case maps:find(P, ByPid) of
        {ok, {Label, Gen, _}} -> #{pid => who(Label, Gen)};
        error -> #{pid => <<"?">>}
    end;
tj1(T, ByPid) when is_tuple(T) -> [tj1(X, ByPid) || X <- tuple_to_list(T)];
tj1(L, ByPid) when is_list(L) -> #{list => [tj1(X, ByPid) || X <- L]};
tj1(Other, _) -> #{other => iolist_to_binary(io_lib:format("~0p", [Other]))}.

strip({Reason, Stack}) when is_list(Stack), Stack =/= [] ->
    case lists:all(fun is_frame/1, Stack) of
        true -> strip(Reason);
        false -> {strip(Reason), strip(Stack)}
    end;
strip(T) when is_tuple(T) -> list_to_tuple([strip(X) || X <- tuple_to_list(T)]);
strip(L) when is_list(L) -> [strip(X) || X <- L];
strip(X) -> X.

is_frame({M, F, A, Loc}) when is_atom(M), is_atom(F), is_list(Loc) -> is_integer(A) orelse is_list(A);
is_frame(_) -> false.
