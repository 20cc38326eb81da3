namespace Sync.Daemon.Simulation;

/// <summary>
/// The definitions every figure of a simulation run is computed by, shared by `simulate`'s report.json and the
/// benchmark (docs/scenarios.md, "Figures"): the same span for every pipeline in a world, so a pipeline cannot
/// choose when it is judged.
/// <list type="bullet">
/// <item>Warm-up: the first max(<see cref="WarmUpMinS"/>, <see cref="WarmUpReads"/> x read interval) seconds are
/// not judged (capped at <see cref="WarmUpMaxFractionOfRun"/> of the run, so short runs still have figures).</item>
/// <item>Event windows: after each scheduled event, max(<see cref="EventWindowMinS"/>, <see cref="EventWindowReads"/>
/// x read interval) seconds are left out of the steady figures; an outage is left out from its start to the window
/// after its end.</item>
/// <item>Recovery: back within X and staying within X for <see cref="RecoveryHoldS"/> s, X = max(
/// <see cref="RecoveryRmsFactor"/> x the run's steady RMS, <see cref="RecoveryFloorNs"/>).</item>
/// <item>Convergence: the first time from which the error stays within <see cref="RecoveryFloorNs"/> for
/// <see cref="RecoveryHoldS"/> s.</item>
/// </list>
/// The error is the guest's offset from the clock it is asked to follow: the served clock (true time plus the
/// served clock's own steps and rate errors).
/// </summary>
public sealed record FigureRules
{
    public double WarmUpMinS { get; init; } = 300;
    public int WarmUpReads { get; init; } = 32;
    public double WarmUpMaxFractionOfRun { get; init; } = 0.5;
    public double EventWindowMinS { get; init; } = 120;
    public int EventWindowReads { get; init; } = 8;
    public double RecoveryHoldS { get; init; } = 60;
    public double RecoveryRmsFactor { get; init; } = 10;
    public double RecoveryFloorNs { get; init; } = 1_000;

    public static FigureRules Default { get; } = new();

    /// <summary>Seconds from the start that are not judged, for a run of durationS read every readIntervalS.</summary>
    public double WarmUpS(double readIntervalS, double durationS) =>
        Math.Min(Math.Max(WarmUpMinS, WarmUpReads * readIntervalS), WarmUpMaxFractionOfRun * durationS);

    /// <summary>Seconds after an event left out of the steady figures.</summary>
    public double EventWindowS(double readIntervalS) => Math.Max(EventWindowMinS, EventWindowReads * readIntervalS);

    /// <summary>The recovery threshold X for a run whose steady RMS is steadyRmsNs (null: none measured).</summary>
    public double RecoveryThresholdNs(double? steadyRmsNs) =>
        Math.Max(RecoveryFloorNs, RecoveryRmsFactor * (steadyRmsNs ?? 0));
}
