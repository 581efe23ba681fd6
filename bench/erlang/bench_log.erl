%% A logger handler that counts error events instead of printing them: the supervisor's
%% child_terminated report is made for every crash (what is measured), writing it out is not
%% (as effect-otp's bench counts its supervisor reports with a logger that only counts).
-module(bench_log).
-export([install/0, uninstall/0, count/1, log/2]).

install() ->
    Counter = counters:new(1, []),
    _ = logger:remove_handler(default),
    ok = logger:add_handler(bench_count, ?MODULE, #{config => #{counter => Counter}}),
    Counter.

uninstall() ->
    _ = logger:remove_handler(bench_count),
    ok.

count(Counter) -> counters:get(Counter, 1).

log(#{level := error}, #{config := #{counter := Counter}}) -> counters:add(Counter, 1, 1);
log(_, _) -> ok.
