%% The scripted state machine of StateMachine scenarios (fidelity/model.ts, StatemScenario).
%% Every event carries a script (fidelity/model.ts StmScript) that says what its handler does in
%% each state: the transition (keep_state, repeat_state, next_state, stop, an exception) and its
%% actions (replies, postpone, next_event, the three kinds of timeouts: set, update, cancel).
%% Every callback reports itself to the collector with a sequence number kept in the data, the
%% event's type, the state it found and the event's id, so the trace shows the order gen_statem
%% ran them in.
%%
%% Both callback modes: handle_event_function (with state_enter or not) and state_functions
%% (state_enter when any state has an enter script; a state without one answers its enter call
%% with keep_state_and_data and reports nothing, as effect-otp makes no enter call into a state
%% without `enter`).
-module(fidelity_statem).
-behaviour(gen_statem).

-export([callback_mode/0, init/1, handle_event/4, terminate/3, a/3, b/3, c/3]).

%% init/1 puts the mode in the process dictionary; gen_statem asks callback_mode/0 after init.
callback_mode() -> get(fidelity_statem_mode).

init({Col, #{mode := Mode, enter := Enters, init := Init}}) ->
    Enter = case maps:size(Enters) > 0 of
        true -> [state_enter];
        false -> []
    end,
    put(fidelity_statem_mode, [Mode | Enter]),
    ok = gen_server:call(Col, {started, server, self(), server}, infinity),
    D0 = #{col => Col, seq => 0, deferred => [], enters => Enters, et => none},
    D = cb(D0, init, a),
    case Init of
        #{a := ok, acts := Acts} ->
            {Actions, D1} = actions(Acts, none, D),
            {ok, a, D1, Actions};
        #{a := ignore} ->
            ignore;
        #{a := stop, r := R} ->
            {stop, reason(R, init)}
    end.

handle_event(Type, Content, State, Data) -> event(Type, Content, State, Data).

a(Type, Content, Data) -> event(Type, Content, a, Data).
b(Type, Content, Data) -> event(Type, Content, b, Data).
c(Type, Content, Data) -> event(Type, Content, c, Data).

event(enter, Old, State, D = #{enters := Enters}) ->
    case maps:find(State, Enters) of
        error ->
            keep_state_and_data;
        {ok, #{to := To, acts := Acts} = Enter} ->
            D1 = cb(D, enter, arg(State, Old)),
            {Actions, D2} = actions(Acts, none, D1),
            case To of
                keep -> {keep_state, D2, Actions};
                stop -> stop(maps:get(r, Enter), enter, Actions, D2);
                crash -> erlang:error({boom, enter})
            end
    end;
%% Deliberate difference (fidelity/differences.ts, "statem-unknown-call"): gen_statem leaves a
%% call it does not know to the callback module (without a clause, function_clause); effect-otp
%% answers UnknownRequest and changes nothing, its timers included. This clause does the same:
%% it runs no script, reports nothing, and starts again the event timeout that the event
%% cancelled (gen_statem cancels it for any event), for what was left of its time.
event({call, From}, {unknown, _Id}, _State, #{et := Et}) ->
    Rearm = case Et of
        none -> [];
        {Deadline, Content} ->
            [{timeout, max(1, Deadline - erlang:monotonic_time(millisecond)), Content}]
    end,
    {keep_state_and_data, [{reply, From, {error, unknown_request}} | Rearm]};
%% OTP 25's bug (fidelity/differences.ts, "otp25-lost-timer"): a zero-time timeout still queued
%% and started again with a nonzero time by a later transition loses its timer (gen_statem
%% registers it with time 0, outside the queue of zero-time timeouts), whose message then comes
%% as this info event; the timeout event never comes. Reported for the harness, which compares
%% the scenario only up to here; nothing else is done.
event(info, {timeout, Ref, Type}, _State, #{col := Col}) when is_reference(Ref) ->
    gen_server:cast(Col, {noop, iolist_to_binary(io_lib:format("otp25-lost-timer ~0p", [Type]))}),
    keep_state_and_data;
event({call, From}, {req, Id, Script}, State, D) ->
    handle(call, {call, From}, Id, Script, State, D);
event(cast, {cast, Id, Script}, State, D) ->
    handle(cast, none, Id, Script, State, D);
event(info, {info, Id, Script}, State, D) ->
    handle(info, none, Id, Script, State, D);
event(internal, {Id, Script}, State, D) ->
    handle(internal, none, Id, Script, State, D);
event(timeout, {Id, Script}, State, D) ->
    handle(timeout, none, Id, Script, State, D);
event(state_timeout, {Id, Script}, State, D) ->
    handle(state_timeout, none, Id, Script, State, D);
event({timeout, Name}, {Id, Script}, State, D) ->
    handle(list_to_atom("timeout_" ++ atom_to_list(Name)), none, Id, Script, State, D).

terminate(Reason, State, D) ->
    cb(D, terminate, {State, Reason}),
    ok.

%% Runs the script of an event: reports the callback, then does what the script says in State.
handle(Name, Caller, Id, Script, State, D0) ->
    %% Any event cancels the event timeout (the record the unknown-call clause reads).
    D = cb(D0#{et := none}, Name, arg(State, Id)),
    #{to := To, acts := Acts} = Do = do_of(Script, State),
    {Actions, D1} = actions(Acts, Caller, D),
    case To of
        keep -> {keep_state, D1, Actions};
        repeat -> {repeat_state, D1, Actions};
        stop -> stop(maps:get(r, Do), Id, Actions, D1);
        crash -> erlang:error({boom, Id});
        Next -> {next_state, Next, D1, Actions}
    end.

%% A stop: with the script's replies (reply, flush), stop_and_reply.
stop(R, Id, Actions, D) ->
    case [A || A = {reply, _, _} <- Actions] of
        [] -> {stop, reason(R, Id), D};
        Replies -> {stop_and_reply, reason(R, Id), Replies, D}
    end.

do_of(#{do := Do}, _State) -> Do;
do_of(#{by := By}, State) -> maps:get(State, By).

%% The script's actions as gen_statem actions, in order; the data keeps the deferred callers.
actions(Acts, Caller, D0) ->
    {Actions, D} = lists:mapfoldl(fun(Act, D) -> action(Act, Caller, D) end, D0, Acts),
    {lists:append(Actions), D}.

action(#{a := reply}, {call, From}, D = #{seq := Seq}) ->
    {[{reply, From, Seq}], D};
action(#{a := defer}, {call, From}, D = #{deferred := Deferred}) ->
    {[], D#{deferred := Deferred ++ [From]}};
action(#{a := flush}, _, D = #{deferred := Deferred, seq := Seq}) ->
    {[{reply, From, Seq} || From <- Deferred], D#{deferred := []}};
action(#{a := postpone}, _, D) ->
    {[postpone], D};
action(#{a := next, id := Id, s := Script}, _, D) ->
    {[{next_event, internal, {Id, Script}}], D};
action(#{a := set, k := K, t := T, id := Id, s := Script}, _, D) ->
    D1 = case {K, T} of
        {e, T} when is_integer(T), T > 0 ->
            D#{et := {erlang:monotonic_time(millisecond) + T, {Id, Script}}};
        {e, _} -> D#{et := none};
        _ -> D
    end,
    {[{timer(K), T, {Id, Script}}], D1};
action(#{a := update, k := K, id := Id, s := Script}, _, D = #{et := Et}) ->
    D1 = case {K, Et} of
        {e, {Deadline, _}} -> D#{et := {Deadline, {Id, Script}}};
        _ -> D
    end,
    {[{timer(K), update, {Id, Script}}], D1};
action(#{a := cancel, k := K}, _, D) ->
    D1 = case K of
        e -> D#{et := none};
        _ -> D
    end,
    {[{timer(K), cancel}], D1};
%% reply and defer in an event that is no call (the generator makes none).
action(_, _, D) ->
    {[], D}.

timer(e) -> timeout;
timer(s) -> state_timeout;
timer(G) -> {timeout, G}.

arg(State, Id) -> list_to_atom(atom_to_list(State) ++ " " ++ atom_to_list(Id)).

cb(D = #{col := Col, seq := Seq0}, Name, Arg) ->
    Seq = Seq0 + 1,
    Col ! {cb, Seq, Name, Arg},
    D#{seq := Seq}.

reason(normal, _) -> normal;
reason(shutdown, _) -> shutdown;
reason(shutdown_x, Id) -> {shutdown, Id};
reason(boom, Id) -> {boom, Id}.
