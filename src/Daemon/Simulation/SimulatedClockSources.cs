using Sync.Clock.Abstractions;
using Sync.Clock.Linux;
using Sync.Clock.Simulation;

namespace Sync.Daemon.Simulation;

/// <summary>
/// The simulated PTP clocks in the order `sync` would read them: each described as discovery describes a real PHC (its
/// clock_name through <see cref="PtpClockNameParser"/>) and chosen by <see cref="PtpClockSelector.Choose"/> with no
/// selector, as `sync` does with no sources:clocks (LinuxClockSources). So a device serving UTC and TAI is read TAI
/// first, as in a guest.
/// </summary>
public static class SimulatedClockSources
{
    public static IReadOnlyList<IReferenceClock> Choose(IReadOnlyList<SimulatedPhc> phcs)
    {
        var descriptions = phcs.Select((phc, index) => PtpClockDescription.Named(index, phc.Info.Path, phc.Info.Name)).ToList();
        var chosen = PtpClockSelector.Choose(descriptions, []);
        if (!chosen.IsOk)
            throw new ScenarioException($"no simulated clock can steer the guest clock: {chosen.Error!.Message}");
        return [.. chosen.Value.Select(choice => (IReferenceClock)phcs[choice.Clock.Index])];
    }
}
