namespace Sync.Clock.Simulation;

/// <summary>
/// The guest oscillator's frequency error (positive = the guest clock runs fast): a constant part, a random
/// walk, and a slow periodic term (e.g. temperature). Scheduled jumps come from scenario events.
/// </summary>
public sealed record OscillatorSettings
{
    public double OffsetPpm { get; set; }
    /// <summary>Random-walk strength: after T seconds the frequency has wandered by this x sqrt(T) (1 sigma).</summary>
    public double WanderPpmPerSqrtS { get; set; }
    public double PeriodicAmplitudePpm { get; set; }
    public double PeriodicPeriodS { get; set; } = 3600;
}
