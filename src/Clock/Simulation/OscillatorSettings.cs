namespace Sync.Clock.Simulation;

/// <summary>
/// The guest oscillator's frequency error (positive = the guest clock runs fast): a constant part, a random
/// walk, and slow periodic terms (e.g. temperature). Scheduled jumps come from scenario events.
/// </summary>
public sealed record OscillatorSettings
{
    public double OffsetPpm { get; set; }
    /// <summary>Random-walk strength: after T seconds the frequency has wandered by this x sqrt(T) (1 sigma).</summary>
    public double WanderPpmPerSqrtS { get; set; }
    public double PeriodicAmplitudePpm { get; set; }
    public double PeriodicPeriodS { get; set; } = 3600;
    /// <summary>More periodic terms, added to the one above.</summary>
    public List<PeriodicTerm> PeriodicTerms { get; set; } = [];

    /// <summary>Equal settings (the list compared by its entries, so a JSON round trip compares equal).</summary>
    public bool Equals(OscillatorSettings? other) =>
        other is not null && OffsetPpm.Equals(other.OffsetPpm) && WanderPpmPerSqrtS.Equals(other.WanderPpmPerSqrtS)
        && PeriodicAmplitudePpm.Equals(other.PeriodicAmplitudePpm) && PeriodicPeriodS.Equals(other.PeriodicPeriodS)
        && (PeriodicTerms ?? []).SequenceEqual(other.PeriodicTerms ?? []);

    public override int GetHashCode() => HashCode.Combine(OffsetPpm, WanderPpmPerSqrtS, PeriodicAmplitudePpm, PeriodicPeriodS, (PeriodicTerms ?? []).Count);

    /// <summary>The single periodic term (periodic_amplitude_ppm, periodic_period_s) and every periodic_terms entry.</summary>
    public IEnumerable<PeriodicTerm> AllPeriodicTerms()
    {
        if (PeriodicAmplitudePpm != 0) yield return new PeriodicTerm { AmplitudePpm = PeriodicAmplitudePpm, PeriodS = PeriodicPeriodS };
        foreach (var term in PeriodicTerms ?? []) yield return term;
    }

    /// <summary>Problems with these settings, each naming the field; empty when valid.</summary>
    public IEnumerable<string> Validate(string prefix)
    {
        if (!double.IsFinite(OffsetPpm) || Math.Abs(OffsetPpm) > 1000) yield return $"{prefix}offset_ppm must be in [-1000, 1000]";
        if (!double.IsFinite(WanderPpmPerSqrtS) || WanderPpmPerSqrtS < 0 || WanderPpmPerSqrtS > 10) yield return $"{prefix}wander_ppm_per_sqrt_s must be in [0, 10]";
        if (!double.IsFinite(PeriodicAmplitudePpm) || Math.Abs(PeriodicAmplitudePpm) > 1000) yield return $"{prefix}periodic_amplitude_ppm must be in [-1000, 1000]";
        if (!double.IsFinite(PeriodicPeriodS) || PeriodicPeriodS <= 0) yield return $"{prefix}periodic_period_s must be > 0";
        if (PeriodicTerms is null) { yield return $"{prefix}periodic_terms must be a list (may be empty)"; yield break; }
        for (var i = 0; i < PeriodicTerms.Count; i++)
        {
            var term = PeriodicTerms[i];
            var at = $"{prefix}periodic_terms[{i}].";
            if (term is null) { yield return $"{prefix}periodic_terms[{i}] must not be null"; continue; }
            if (!double.IsFinite(term.AmplitudePpm) || Math.Abs(term.AmplitudePpm) > 1000) yield return $"{at}amplitude_ppm must be in [-1000, 1000]";
            if (!double.IsFinite(term.PeriodS) || term.PeriodS <= 0) yield return $"{at}period_s must be > 0";
            if (!double.IsFinite(term.PhaseRad)) yield return $"{at}phase_rad must be a finite number";
        }
    }
}

/// <summary>A sinusoidal frequency term: amplitude_ppm x sin(2 pi t / period_s + phase_rad), t from the start.</summary>
public sealed record PeriodicTerm
{
    public double AmplitudePpm { get; set; }
    public double PeriodS { get; set; } = 3600;
    public double PhaseRad { get; set; }
}
