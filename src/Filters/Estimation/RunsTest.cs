using MathNet.Numerics;

namespace Sync.Filters.Estimation;

/// <summary>
/// Wald-Wolfowitz runs test on residual signs, exact (not the normal approximation): the probability of seeing
/// at most the observed number of runs if positive and negative residuals were randomly ordered. Few runs mean
/// the residuals are correlated in time: the straight line no longer fits the oldest samples.
/// </summary>
internal static class RunsTest
{
    /// <summary>Number of runs of equal sign (zero counts as positive).</summary>
    public static int CountRuns(ReadOnlySpan<double> residuals, out int positives, out int negatives)
    {
        positives = negatives = 0;
        int runs = 0;
        bool? previous = null;
        foreach (double r in residuals)
        {
            bool positive = r >= 0;
            if (positive) positives++; else negatives++;
            if (previous != positive) runs++;
            previous = positive;
        }
        return runs;
    }

    /// <summary>P(R &lt;= runs) for n1 positives and n2 negatives in random order.</summary>
    public static double LowerTailProbability(int runs, int n1, int n2)
    {
        if (n1 == 0 || n2 == 0) return 1.0;
        double totalLn = SpecialFunctions.BinomialLn(n1 + n2, n1);
        double p = 0;
        for (int r = 2; r <= runs; r++)
        {
            int k = r / 2;
            double ways = r % 2 == 0
                ? 2 * Exp(ChooseLn(n1 - 1, k - 1) + ChooseLn(n2 - 1, k - 1) - totalLn)
                : Exp(ChooseLn(n1 - 1, k) + ChooseLn(n2 - 1, k - 1) - totalLn)
                  + Exp(ChooseLn(n1 - 1, k - 1) + ChooseLn(n2 - 1, k) - totalLn);
            p += ways;
        }
        return Math.Min(1.0, p);
    }

    /// <summary>True when the residual signs are too orderly to be random at the given significance.</summary>
    public static bool IsNonRandom(ReadOnlySpan<double> residuals, double significance)
    {
        int runs = CountRuns(residuals, out int n1, out int n2);
        return LowerTailProbability(runs, n1, n2) < significance;
    }

    private static double ChooseLn(int n, int k) =>
        k < 0 || k > n ? double.NegativeInfinity : SpecialFunctions.BinomialLn(n, k);

    private static double Exp(double x) => double.IsNegativeInfinity(x) ? 0 : Math.Exp(x);
}
