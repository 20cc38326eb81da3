namespace Sync.Filters.Estimation;

/// <summary>
/// How the Kalman estimator learns the oscillator's frequency wander (random-walk frequency noise, in s^2/s^3:
/// the frequency variance grows by this much per second). A bank of <see cref="Levels"/> models with wander
/// levels spaced evenly on a log scale from <see cref="FloorS2PerS3"/> to <see cref="CeilingS2PerS3"/> runs side by
/// side and is mixed by how well each predicted the samples (<see cref="WanderModelBank"/>, IMM-style). Defaults
/// span 1e-21 (a temperature-stable oscillator: 0.03 ppb/sqrt(h)) to 1e-12 (0.06 ppm/sqrt(s): thermal cycling of
/// about 1 ppm over a few minutes) in half decades.
/// </summary>
public sealed record WanderOptions
{
    /// <summary>Smallest wander the bank considers, s^2/s^3. Default 1e-21.</summary>
    public double FloorS2PerS3 { get; init; } = 1e-21;

    /// <summary>Largest wander the bank considers, s^2/s^3. Default 1e-12.</summary>
    public double CeilingS2PerS3 { get; init; } = 1e-12;

    /// <summary>Models in the bank (1: the floor alone, a fixed wander). Default 19 (half-decade steps).</summary>
    public int Levels { get; init; } = 19;

    /// <summary>Probability that the wander moves to a neighbouring level (the IMM's Markov chain) per second between
    /// samples, and at most per sample (<see cref="SwitchProbabilityOver"/>): how fast the bank lets go of what it learnt
    /// when the oscillator changes. Default 0.01.</summary>
    public double SwitchProbability { get; init; } = 0.01;

    /// <summary>Time over which the wander moves to a neighbouring level with <see cref="SwitchProbability"/>.</summary>
    public const double SwitchIntervalS = 1;

    /// <summary>
    /// The chance that the wander moved to a neighbouring level in dtS seconds between samples:
    /// <see cref="SwitchProbability"/> x dtS / <see cref="SwitchIntervalS"/>, at most <see cref="SwitchProbability"/>.
    /// The wander is the oscillator's, so how fast it can change is a matter of time, not of how often it is read: at
    /// 1 % per sample a bank read every 0.1 s let its weights spread over 1.5 decades of wander (random world 1-50) and
    /// its bound, set by the high levels, was 1.2x a filter's told the true wander. Slower reads keep the per-sample
    /// chance, so a slow reader still lets go of what it learnt within tens of samples.
    /// </summary>
    public double SwitchProbabilityOver(double dtS) => SwitchProbability * Math.Clamp(dtS / SwitchIntervalS, 0, 1);

    /// <summary>Smallest weight a level keeps, so one that was unlikely for a long time can take over within a few
    /// samples when the oscillator changes. Default 1e-6 (well below the 5e-4 the bound may leave uncovered).</summary>
    public double MinWeight { get; init; } = 1e-6;

    /// <summary>Where the learning starts: the levels' first weights fall off as a Gaussian in log10(wander) around this
    /// (s^2/s^3) with <see cref="InitialSpreadDecades"/> as its standard deviation. Default 1e-18 (1 ns^2/s^3, a quiet VM
    /// oscillator, the constant used before the wander was learnt): a quiet start averages like before, and excess
    /// scatter in the first samples is first taken for measurement noise, not wander.</summary>
    public double InitialS2PerS3 { get; init; } = 1e-18;

    /// <summary>Spread of the first weights around <see cref="InitialS2PerS3"/>, decades. Default 2: the documented range
    /// of VM oscillators' wander, 1e-4 to 1e-2 ppm/sqrt(s) (1e-20 to 1e-16 s^2/s^3), is +-1 sd, and periodic terms reach
    /// higher. Before anything is learnt the prior is all the bank has, and with the levels switching per second
    /// (<see cref="SwitchProbabilityOver"/>) it no longer diffuses faster at fast reads: with 1 decade a 1e-15 world read
    /// every 0.1 s kept its weight on 1e-18 for 27 s and its bound missed (coverage 0.9987 where 0.9997 with 2).</summary>
    public double InitialSpreadDecades { get; init; } = 2;

    /// <summary>The first weight of each level (sums to 1).</summary>
    public double[] InitialWeights()
    {
        var levels = LevelsS2PerS3();
        var weights = new double[levels.Length];
        double centre = Math.Log10(Math.Max(InitialS2PerS3, 1e-300)), sum = 0;
        for (int i = 0; i < levels.Length; i++)
        {
            double d = levels[i] > 0 ? (Math.Log10(levels[i]) - centre) / InitialSpreadDecades : 0;
            sum += weights[i] = Math.Max(Math.Exp(-0.5 * d * d), MinWeight);
        }
        for (int i = 0; i < levels.Length; i++) weights[i] /= sum;
        return weights;
    }

    /// <summary>One known wander level (no learning), e.g. the true one for an oracle, or 0.</summary>
    public static WanderOptions Fixed(double wanderS2PerS3) =>
        new() { FloorS2PerS3 = wanderS2PerS3, CeilingS2PerS3 = wanderS2PerS3, Levels = 1 };

    /// <summary>True when the bank has a single level (nothing to learn).</summary>
    public bool IsFixed => Levels == 1;

    /// <summary>The levels in s^2/s^3, smallest first.</summary>
    public double[] LevelsS2PerS3()
    {
        if (Levels == 1) return [FloorS2PerS3];
        var levels = new double[Levels];
        double logFloor = Math.Log(FloorS2PerS3), logCeiling = Math.Log(CeilingS2PerS3);
        for (int i = 0; i < Levels; i++) levels[i] = Math.Exp(logFloor + (logCeiling - logFloor) * i / (Levels - 1));
        return levels;
    }

    public void Validate()
    {
        if (Levels < 1 || Levels > 64) throw new ArgumentException($"Wander.{nameof(Levels)} must be in 1..64 (got {Levels}); 19 is the default");
        if (Levels == 1)
        {
            if (!(FloorS2PerS3 >= 0 && double.IsFinite(FloorS2PerS3))) throw new ArgumentException($"Wander.{nameof(FloorS2PerS3)} must be a finite number >= 0 (got {FloorS2PerS3})");
        }
        else
        {
            if (!(FloorS2PerS3 > 0 && double.IsFinite(FloorS2PerS3))) throw new ArgumentException($"Wander.{nameof(FloorS2PerS3)} must be > 0 with several levels (got {FloorS2PerS3}); 1e-21 is the default");
            if (!(CeilingS2PerS3 > FloorS2PerS3 && double.IsFinite(CeilingS2PerS3))) throw new ArgumentException($"Wander.{nameof(CeilingS2PerS3)} must be above the floor (got {CeilingS2PerS3}); 1e-12 is the default");
        }
        if (!(SwitchProbability >= 0 && SwitchProbability <= 0.25)) throw new ArgumentException($"Wander.{nameof(SwitchProbability)} must be in [0, 0.25] (got {SwitchProbability}); 0.01 is the default");
        if (!(InitialS2PerS3 > 0 && double.IsFinite(InitialS2PerS3))) throw new ArgumentException($"Wander.{nameof(InitialS2PerS3)} must be > 0 (got {InitialS2PerS3}); 1e-18 is the default");
        if (!(InitialSpreadDecades > 0 && double.IsFinite(InitialSpreadDecades))) throw new ArgumentException($"Wander.{nameof(InitialSpreadDecades)} must be > 0 (got {InitialSpreadDecades}); 2 is the default");
        if (!(MinWeight >= 0 && MinWeight * Levels < 0.5)) throw new ArgumentException($"Wander.{nameof(MinWeight)} must be >= 0 and small (levels x it < 0.5; got {MinWeight})");
    }
}
