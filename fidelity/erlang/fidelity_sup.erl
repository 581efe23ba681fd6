%% The supervisor callback of supervision scenarios: a static supervisor's flags and children
%% come from the scenario's tree; a dynamic supervisor is simple_one_for_one with the worker
%% template of the scenario.
-module(fidelity_sup).
-behaviour(supervisor).

-export([init/1]).

init({static, Ctx, Label, Spec}) ->
    #{strategy := Strategy, intensity := Intensity, period := Period,
      auto_shutdown := Auto, children := Children} = Spec,
    Flags = #{strategy => Strategy, intensity => Intensity, period => Period, auto_shutdown => Auto},
    {ok, {Flags, [fidelity:child_spec(Ctx, Label, C) || C <- Children]}};
init({dyn, Ctx, _Label, Spec}) ->
    #{intensity := Intensity, period := Period, template := T} = Spec,
    #{restart := Restart, shutdown := Shutdown} = T,
    Flags = #{strategy => simple_one_for_one, intensity => Intensity, period => Period},
    Template = #{id => template,
                 start => {fidelity_worker, start_dyn, [Ctx, T]},
                 restart => Restart, shutdown => Shutdown, type => worker},
    {ok, {Flags, [Template]}}.
