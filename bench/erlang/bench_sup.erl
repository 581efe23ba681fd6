%% The supervisor of supervisor_restarts_per_second: one_for_one, an intensity that never trips
%% (1e9 per second, as effect-otp's bench), one permanent worker. The worker is a plain linked
%% process (as effect-otp's `Process.spawnLink(body)`): it sends its pid to the driver, waits for
%% a message and exits with reason `crash`.
-module(bench_sup).
-behaviour(supervisor).
-export([init/1, start_worker/1]).

init(Driver) ->
    Flags = #{strategy => one_for_one, intensity => 1000000000, period => 1},
    Worker = #{id => worker, start => {bench_sup, start_worker, [Driver]}, restart => permanent, type => worker},
    {ok, {Flags, [Worker]}}.

start_worker(Driver) ->
    {ok, spawn_link(fun() ->
        Driver ! {started, self()},
        receive _ -> exit(crash) end
    end)}.
