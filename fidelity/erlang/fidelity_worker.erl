%% The scripted worker of supervision scenarios. It reports its start to the collector (which
%% may make the start fail or return ignore), stops itself as a step tells it, reports every
%% terminate call, and ignores any other message (exit signals from processes other than its
%% parent arrive here when it traps exits).
-module(fidelity_worker).
-behaviour(gen_server).

-export([start_link/3, start_dyn/3]).
-export([init/1, handle_call/3, handle_cast/2, handle_info/2, terminate/2]).

%% Dynamic children (simple_one_for_one): the template gives Ctx and Spec, start_child the label.
start_dyn(Ctx, Spec, Label) -> start_link(Ctx, Label, Spec).

start_link(Ctx = #{prefix := Prefix}, Label, Spec = #{named := Named}) ->
    Args = {Ctx, Label, Spec},
    case Named of
        true -> gen_server:start_link({local, fidelity:name(Prefix, Label)}, ?MODULE, Args, []);
        false -> gen_server:start_link(?MODULE, Args, [])
    end.

init({#{col := Col}, Label, Spec = #{trap := Trap}}) ->
    Trap andalso process_flag(trap_exit, true),
    case gen_server:call(Col, {started, Label, self(), worker}, infinity) of
        ok -> {ok, #{col => Col, label => Label, slow => maps:get(slow, Spec)}};
        fail -> {stop, start_failed};
        ignore -> ignore
    end.

handle_call(ping, _From, S) -> {reply, pong, S};
%% Any other call (a step that treats the worker as a supervisor: a dynamic supervisor's id
%% reused by a worker): answered as effect-otp answers an unknown call (the unknown-call
%% deliberate difference in differences.ts), not a function_clause crash.
handle_call(_Unknown, _From, S) -> {reply, {error, unknown_request}, S}.

handle_cast({stop, How}, S = #{label := Label}) ->
    case How of
        crash -> {stop, {boom, Label}, S};
        raise -> erlang:error({boom, Label});
        normal -> {stop, normal, S};
        shutdown -> {stop, shutdown, S};
        shutdown_x -> {stop, {shutdown, Label}, S}
    end.

handle_info(_Message, S) -> {noreply, S}.

terminate(Reason, #{col := Col, slow := Slow}) ->
    gen_server:cast(Col, {terminate, self(), Reason}),
    Slow andalso timer:sleep(fidelity:slow_ms()),
    ok.
