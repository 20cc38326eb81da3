using MathNet.Numerics;

namespace Sync.Filters.Estimation;

/// <summary>
/// A bank of two-state clock models (<see cref="ClockGaussian"/>) that differ only in the frequency wander they
/// assume, run side by side on the same samples and mixed by how well each predicted them: the interacting
/// multiple model (IMM) estimator with a Markov chain that lets the wander move to a neighbouring level with
/// <see cref="WanderOptions.SwitchProbability"/> per second, at most that per sample (<see cref="WanderOptions.SwitchProbabilityOver"/>). A quiet oscillator ends with its weight on the low
/// levels (long averaging, today's precision); one that is thermally cycling moves it up within tens of samples
/// and is followed closely. No level's weight falls below <see cref="WanderOptions.MinWeight"/>.
/// Every model shares the time of the last update; the engine's changes of frame (steering) apply to all alike.
/// Pure arithmetic: no clock, no I/O.
/// </summary>
public sealed class WanderModelBank
{
    private readonly WanderOptions _options;
    private readonly double[] _wanderNs2PerS3;
    private readonly double _diffusionNs2PerS;
    private readonly ClockGaussian[] _models;
    private readonly double[] _weights;
    private readonly ClockGaussian[] _scratch;
    private readonly double[] _scratchWeights;

    public WanderModelBank(WanderOptions options, double diffusionS2PerS)
    {
        options.Validate();
        _options = options;
        _wanderNs2PerS3 = options.LevelsS2PerS3().Select(q => q * 1e18).ToArray();
        _diffusionNs2PerS = diffusionS2PerS * 1e18;
        int n = _wanderNs2PerS3.Length;
        _models = new ClockGaussian[n];
        _weights = new double[n];
        _scratch = new ClockGaussian[n];
        _scratchWeights = new double[n];
        ForgetWander();
    }

    public int Count => _models.Length;

    /// <summary>Weight of each level (smallest wander first), summing to 1.</summary>
    public IReadOnlyList<double> Weights => _weights;

    /// <summary>The wander levels in s^2/s^3, smallest first.</summary>
    public IReadOnlyList<double> LevelsS2PerS3 => _wanderNs2PerS3.Select(q => q / 1e18).ToArray();

    /// <summary>What the bank has learnt: the weighted geometric mean of the levels, s^2/s^3 (0 when a level is 0).</summary>
    public double LearntWanderS2PerS3
    {
        get
        {
            double log = 0;
            for (int i = 0; i < _models.Length; i++)
            {
                if (_wanderNs2PerS3[i] <= 0) return 0;
                log += _weights[i] * Math.Log(_wanderNs2PerS3[i] / 1e18);
            }
            return Math.Exp(log);
        }
    }

    /// <summary>Forget what was learnt about the wander: back to the initial weights.</summary>
    public void ForgetWander() => _options.InitialWeights().CopyTo(_weights, 0);

    /// <summary>Every model starts from this belief (the weights, what was learnt about the wander, stay).</summary>
    public void Initialize(ClockGaussian belief) => Array.Fill(_models, belief);

    /// <summary>Widens every model's covariance by factor: the readings they were built on were trusted too much.</summary>
    public void ScaleCovariance(double factor)
    {
        for (int i = 0; i < _models.Length; i++)
        {
            var m = _models[i];
            _models[i] = m with { P00 = m.P00 * factor, P01 = m.P01 * factor, P11 = m.P11 * factor };
        }
    }

    /// <summary>Moves every model by a known change of frame (the clock was steered).</summary>
    public void Shift(double offsetNs, double freqNsPerS)
    {
        for (int i = 0; i < _models.Length; i++) _models[i] = _models[i].Shift(offsetNs, freqNsPerS);
    }

    /// <summary>The mixture predicted dtS seconds past the last update, as one Gaussian (mean and covariance).</summary>
    public ClockGaussian Predict(double dtS)
    {
        for (int i = 0; i < _models.Length; i++) _scratch[i] = _models[i].Predict(dtS, _wanderNs2PerS3[i], _diffusionNs2PerS);
        return ClockGaussian.MomentMatch(_scratch, _weights);
    }

    /// <summary>
    /// The smallest b such that the predicted mixture puts at most missProbability of its mass outside
    /// [c - b, c + b], c = aroundNs (in the models' frame), or <see cref="Predict"/>'s offset (the mean) when null.
    /// Around the mean: z sigma for a single model, wider than the moment-matched z sigma when a likely model with more
    /// wander sits in the tail. Around another point (0: how far the true offset itself may be from zero) it is at most
    /// |mean - c| plus the half-width around the mean, and less the nearer c is to the mean: the quantile of
    /// |true offset - c| under the same mixture, not that sum.
    /// </summary>
    public double OffsetHalfWidthNs(double dtS, double missProbability, double? aroundNs = null)
    {
        var combined = Predict(dtS);
        var centre = aroundNs ?? combined.OffsetNs;
        if (_models.Length == 1 && aroundNs is null) return HalfWidthForSingle(Math.Sqrt(Math.Max(0, _scratch[0].P00)), missProbability);
        // Levels too unlikely to matter (below 1 % of the miss probability, e.g. those at the weight floor) are left
        // out and their whole weight charged to the miss budget: the bound can only get wider for it.
        double budget = missProbability, skipBelow = _models.Length == 1 ? 0 : missProbability * 0.01;
        double hi = 0;
        for (int i = 0; i < _models.Length; i++)
        {
            if (_weights[i] < skipBelow) { budget -= _weights[i]; continue; }
            double sd = Math.Sqrt(Math.Max(0, _scratch[i].P00));
            hi = Math.Max(hi, Math.Abs(_scratch[i].OffsetNs - centre) + 40 * sd);
        }
        if (budget <= 0 || hi <= 0) return hi;
        // Bisection, started from the moment-matched Gaussian's half-width (moved by the centre's distance from the mean).
        double lo = 0;
        double guess = Math.Abs(combined.OffsetNs - centre) + HalfWidthForSingle(Math.Sqrt(Math.Max(0, combined.P00)), missProbability);
        if (guess > 0 && guess < hi)
        {
            if (MassOutside(guess, centre, skipBelow) > budget) lo = guess; else hi = guess;
        }
        for (int iteration = 0; iteration < 60 && hi - lo > 1e-3 * Math.Max(1, lo); iteration++)
        {
            double b = lo == 0 ? hi / 2 : Math.Min((lo + hi) / 2, 2 * lo);
            if (MassOutside(b, centre, skipBelow) > budget) lo = b; else hi = b;
        }
        return hi;
    }

    /// <summary>The mixture's mass outside [centre - b, centre + b] (levels below skipBelow left out).</summary>
    private double MassOutside(double b, double centre, double skipBelow)
    {
        double mass = 0;
        for (int i = 0; i < _models.Length; i++)
        {
            if (_weights[i] < skipBelow) continue;
            double sd = Math.Sqrt(Math.Max(0, _scratch[i].P00));
            double d = _scratch[i].OffsetNs - centre;
            if (sd <= 0) { mass += Math.Abs(d) > b ? _weights[i] : 0; continue; }
            mass += _weights[i] * 0.5 * (Erfc((b - d) / (sd * Math.Sqrt(2))) + Erfc((b + d) / (sd * Math.Sqrt(2))));
        }
        return mass;
    }

    /// <summary>Complementary error function, relative error below 1.2e-7 everywhere (Numerical Recipes' erfcc,
    /// Chebyshev fit): plenty for a coverage quantile, and much cheaper than a full-precision one.</summary>
    internal static double Erfc(double x)
    {
        double z = Math.Abs(x);
        double t = 1 / (1 + 0.5 * z);
        double r = t * Math.Exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
            + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? r : 2 - r;
    }

    private static double HalfWidthForSingle(double sd, double missProbability) =>
        sd * Math.Sqrt(2) * SpecialFunctions.ErfcInv(missProbability);

    /// <summary>
    /// The prior for a sample dtS seconds past the last update, as one Gaussian: the models mixed through the
    /// Markov chain, predicted, and combined with their predicted weights.
    /// </summary>
    public ClockGaussian Prior(double dtS)
    {
        MixAndPredict(dtS, default);
        return ClockGaussian.MomentMatch(_scratch, _scratchWeights);
    }

    /// <summary>
    /// After <see cref="Prior"/>: the half-width of the widest gate sigmas x innovation sd around a level's own
    /// prediction, measured from the combined prediction, among the levels whose predicted weight is at least
    /// minWeight. A sample one plausible level explains is no outlier, even when the mixture leans to a quieter one.
    /// </summary>
    public double PlausibleGateHalfWidthNs(double combinedOffsetNs, double rNs2, double minWeight, double sigmas)
    {
        double halfWidth = 0;
        for (int i = 0; i < _scratch.Length; i++)
        {
            if (_scratchWeights[i] < minWeight) continue;
            halfWidth = Math.Max(halfWidth, Math.Abs(_scratch[i].OffsetNs - combinedOffsetNs) + sigmas * Math.Sqrt(Math.Max(0, _scratch[i].P00) + rNs2));
        }
        return halfWidth;
    }

    /// <summary>
    /// One sample: offset zNs with measurement variance rNs2, dtS seconds past the last update. correction, when
    /// given, moves every predicted model first (a drift found by the caller, with its extra uncertainty).
    /// Each model is updated and re-weighted by the likelihood of the sample under its prediction.
    /// </summary>
    public void Update(double zNs, double rNs2, double dtS, ClockGaussian correction = default)
    {
        MixAndPredict(dtS, correction);
        if (_models.Length == 1)
        {
            _models[0] = _scratch[0].Update(zNs, rNs2);
            return;
        }
        double maxLog = double.NegativeInfinity;
        Span<double> logs = stackalloc double[_models.Length];
        for (int i = 0; i < _models.Length; i++)
        {
            logs[i] = _scratch[i].LogLikelihood(zNs, rNs2);
            maxLog = Math.Max(maxLog, logs[i]);
            _models[i] = _scratch[i].Update(zNs, rNs2);
        }
        double sum = 0;
        for (int i = 0; i < _models.Length; i++)
        {
            _weights[i] = _scratchWeights[i] * Math.Exp(logs[i] - maxLog);
            sum += _weights[i];
        }
        if (!(sum > 0) || !double.IsFinite(sum))
        {
            Array.Copy(_scratchWeights, _weights, _weights.Length);
            return;
        }
        for (int i = 0; i < _weights.Length; i++) _weights[i] /= sum;
        ApplyFloor();
    }

    /// <summary>
    /// Moves every model dtS seconds on without a measurement, each first moved by correction (a change the caller
    /// measured, with its uncertainty; see <see cref="KalmanEstimator"/>'s rate change at the second sample). The
    /// levels keep their predicted weights.
    /// </summary>
    public void Advance(double dtS, ClockGaussian correction)
    {
        MixAndPredict(dtS, correction);
        Array.Copy(_scratch, _models, _models.Length);
        Array.Copy(_scratchWeights, _weights, _weights.Length);
        ApplyFloor();
    }

    private void ApplyFloor()
    {
        if (_options.MinWeight <= 0) return;
        double sum = 0;
        for (int i = 0; i < _weights.Length; i++) sum += _weights[i] = Math.Max(_weights[i], _options.MinWeight);
        for (int i = 0; i < _weights.Length; i++) _weights[i] /= sum;
    }

    /// <summary>IMM interaction: each model j starts from the mixture of itself and its neighbours weighted by
    /// the chance the wander was at level i and moved to j; then predicted by dtS with its own wander.</summary>
    private void MixAndPredict(double dtS, ClockGaussian correction)
    {
        int n = _models.Length;
        double eps = n == 1 ? 0 : _options.SwitchProbabilityOver(dtS);
        Span<ClockGaussian> sources = stackalloc ClockGaussian[3];
        Span<double> mix = stackalloc double[3];
        for (int j = 0; j < n; j++)
        {
            int count = 0;
            double c = 0;
            for (int i = Math.Max(0, j - 1); i <= Math.Min(n - 1, j + 1); i++)
            {
                double stay = 1 - eps * ((i > 0 ? 1 : 0) + (i < n - 1 ? 1 : 0));
                double p = (i == j ? stay : eps) * _weights[i];
                if (p <= 0) continue;
                sources[count] = _models[i];
                mix[count] = p;
                c += p;
                count++;
            }
            ClockGaussian start;
            if (count == 0 || !(c > 0)) start = _models[j];
            else
            {
                for (int k = 0; k < count; k++) mix[k] /= c;
                start = count == 1 ? sources[0] : ClockGaussian.MomentMatch(sources[..count], mix[..count]);
            }
            _scratchWeights[j] = c;
            _scratch[j] = start.Predict(dtS, _wanderNs2PerS3[j], _diffusionNs2PerS)
                .Shift(correction.OffsetNs, correction.FreqNsPerS, correction.P00, correction.P01, correction.P11);
        }
        double total = 0;
        foreach (var w in _scratchWeights) total += w;
        if (total > 0) for (int j = 0; j < n; j++) _scratchWeights[j] /= total;
        else Array.Copy(_weights, _scratchWeights, n);
    }
}
