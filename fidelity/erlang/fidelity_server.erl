%% The scripted server of GenServer scenarios. Every request carries what the callback is to do
%% (reply now, defer the reply, set an idle timeout, continue, stop with or without a reply,
%% crash, exit, answer the deferred calls, return something that is no valid result); every callback reports itself to the collector with
%% a sequence number kept in the state, so the trace shows the order the server ran them in.
-module(fidelity_server).
-behaviour(gen_server).

-export([init/1, handle_call/3, handle_cast/2, handle_info/2, handle_continue/2, terminate/2]).

init({Col, Init, OnTimeout, Trap}) ->
    Trap andalso process_flag(trap_exit, true),
    ok = gen_server:call(Col, {started, server, self(), server}, infinity),
    S = cb(#{col => Col, seq => 0, deferred => [], on_timeout => OnTimeout, timeout => infinity}, init, init),
    case Init of
        #{a := ok} -> {ok, S};
        #{a := ok_t, t := T} -> {ok, S#{timeout := T}, T};
        #{a := continue, next := Next} -> {ok, S, {continue, {init, Next}}};
        #{a := ignore} -> ignore;
        #{a := stop, r := R} -> {stop, reason(R, init)};
        #{a := crash} -> erlang:error({boom, init});
        #{a := bad} -> bogus
    end.

handle_call({req, Id, Action}, From, S0) ->
    S = #{seq := Seq} = cb(S0, handle_call, Id),
    case Action of
        #{a := reply} -> {reply, Seq, S#{timeout := infinity}};
        #{a := reply_t, t := T} -> {reply, Seq, S#{timeout := T}, T};
        #{a := defer} -> {noreply, (defer(From, S))#{timeout := infinity}};
        #{a := defer_t, t := T} -> {noreply, (defer(From, S))#{timeout := T}, T};
        #{a := continue, next := Next} -> {reply, Seq, S, {continue, {Id, Next}}};
        #{a := stop_reply, r := R} -> {stop, reason(R, Id), Seq, S};
        #{a := stop, r := R} -> {stop, reason(R, Id), S};
        #{a := crash} -> erlang:error({boom, Id});
        #{a := exit} -> exit({boom, Id});
        #{a := flush} -> {reply, Seq, (flush(S))#{timeout := infinity}};
        #{a := bad} -> bogus
    end;
%% Deliberate difference (fidelity/differences.ts, "unknown-call"): OTP leaves an unknown call
%% to the callback module (with no matching clause the server crashes with function_clause);
%% effect-otp answers it with UnknownRequest, runs no callback and keeps the idle timeout. This
%% clause does what effect-otp does, so the rest of the scenario is still compared.
handle_call({unknown, _Tag, _Id}, _From, S = #{timeout := Timeout}) ->
    case Timeout of
        infinity -> {reply, {error, unknown_request}, S};
        T -> {reply, {error, unknown_request}, S, T}
    end.

handle_cast({cast, Id, Action}, S0) ->
    async(Action, Id, cb(S0, handle_cast, Id)).

handle_info(timeout, S0 = #{on_timeout := Action}) ->
    async(Action, timeout, cb(S0, handle_info, timeout));
handle_info({info, Id, Action}, S0) ->
    async(Action, Id, cb(S0, handle_info, Id));
handle_info({'EXIT', _From, Reason}, S0) ->
    {noreply, (cb(S0, handle_info, {exit, Reason}))#{timeout := infinity}}.

handle_continue({Id, Next}, S0) ->
    async(Next, Id, cb(S0, handle_continue, Id)).

terminate(Reason, S) ->
    cb(S, terminate, Reason),
    ok.

async(Action, Id, S) ->
    case Action of
        #{a := noreply} -> {noreply, S#{timeout := infinity}};
        #{a := noreply_t, t := T} -> {noreply, S#{timeout := T}, T};
        #{a := continue, next := Next} -> {noreply, S, {continue, {Id, Next}}};
        #{a := stop, r := R} -> {stop, reason(R, Id), S};
        #{a := crash} -> erlang:error({boom, Id});
        #{a := flush} -> {noreply, (flush(S))#{timeout := infinity}};
        #{a := bad} -> bogus
    end.

cb(S = #{col := Col, seq := Seq0}, Name, Arg) ->
    Seq = Seq0 + 1,
    Col ! {cb, Seq, Name, Arg},
    S#{seq := Seq}.

defer(From, S = #{deferred := Deferred}) -> S#{deferred := Deferred ++ [From]}.

flush(S = #{deferred := Deferred, seq := Seq}) ->
    [gen_server:reply(From, Seq) || From <- Deferred],
    S#{deferred := []}.

reason(normal, _) -> normal;
reason(shutdown, _) -> shutdown;
reason(shutdown_x, Id) -> {shutdown, Id};
reason(boom, Id) -> {boom, Id}.
